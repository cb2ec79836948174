"""Shares (contract §5): a record's `view`, `edit`, `delete` granted to a user or a group.

Stored as django-guardian object permissions in the direct-foreign-key tables
(`RecordUserShare`, `RecordGroupShare`), so guardian's backend (`user.has_perm(perm, record)`)
and its admin pages see them. These rows are the only copy of a share: the row-level filter
(records.ownership.owners.readable_q) reads them by foreign key, joined to the user's and the
group's names as they are at the time of the query, exactly as `shared_with` does for one
record. So a rename (of a user or a group, by any means: a form, the admin, a queryset
`update()`) moves the share with the principal in the list and in one record alike, and a new
user or group taking the old name gets nothing.
"""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from accounts import audit
from accounts.identity import users_named_by_email
from records import rls
from records.errors import BadShare
from records.models import Record
from site_model import acl

from .models import RecordGroupShare, RecordUserShare

# share permission -> the Record model's permission codename
CODENAMES = {"view": "view_record", "edit": "change_record", "delete": "delete_record"}
PERMISSIONS = {codename: permission for permission, codename in CODENAMES.items()}
SHARE_KEYS = ("principal", "permissions")


def shared_with(record: Record, who: acl.Who) -> frozenset[str]:
    """The share permissions (view, edit, delete) granted on `record` to `who` or a group of theirs."""
    if not who.is_authenticated:
        return frozenset()
    codenames = RecordUserShare.objects.filter(
        content_object=record, user__username=who.username
    ).values_list("permission__codename", flat=True)
    if who.groups:  # one query: the user's shares and their groups' shares
        codenames = codenames.union(
            RecordGroupShare.objects.filter(
                content_object=record, group__name__in=who.groups
            ).values_list("permission__codename", flat=True),
            all=True,
        )
    return frozenset(PERMISSIONS[c] for c in codenames if c in PERMISSIONS)


def shares_naming(record: Record, who: acl.Who) -> tuple[tuple[str, str], ...]:
    """The shares on `record` that `shared_with` counts for `who`, as (permission, principal in
    words) pairs: ("view", "group east"). For an explanation (records.access.explain)."""
    if not who.is_authenticated:
        return ()
    found = [
        (PERMISSIONS[codename], f"{kind} {name}")
        for kind, rows in (
            (
                "user",
                RecordUserShare.objects.filter(
                    content_object=record, user__username=who.username
                ).values_list("user__username", "permission__codename"),
            ),
            (
                "group",
                RecordGroupShare.objects.filter(
                    content_object=record, group__name__in=who.groups
                ).values_list("group__name", "permission__codename"),
            ),
        )
        for name, codename in rows
        if codename in PERMISSIONS
    ]
    return tuple(sorted(found))


def shares_of(record: Record) -> list[dict]:
    """The record's shares, `[{"principal", "kind": "user" | "group", "permissions"}]`, by
    kind then principal; permissions in the order view, edit, delete."""
    found: dict[tuple[str, str], set[str]] = {}
    for kind, rows in (
        (
            "user",
            RecordUserShare.objects.filter(content_object=record).values_list(
                "user__username", "permission__codename"
            ),
        ),
        (
            "group",
            RecordGroupShare.objects.filter(content_object=record).values_list(
                "group__name", "permission__codename"
            ),
        ),
    ):
        for principal, codename in rows:
            if codename in PERMISSIONS:
                found.setdefault((kind, principal), set()).add(PERMISSIONS[codename])
    return [
        {
            "principal": principal,
            "kind": kind,
            "permissions": [p for p in acl.SHARE_PERMISSIONS if p in permissions],
        }
        for (kind, principal), permissions in sorted(
            found.items(), key=lambda row: (row[0][0] != "user", row[0][1])
        )
    ]


def _shown(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:60] + "…"


def parse_share(body) -> tuple[str, tuple[str, ...]]:
    """A share body `{"principal": "...", "permissions": [...]}` -> (principal, permissions)."""
    if not isinstance(body, dict):
        raise BadShare("the body must be a JSON object with principal, permissions")
    unknown = sorted(set(body) - set(SHARE_KEYS))
    if unknown:
        raise BadShare(f"unknown key '{unknown[0]}' in a share; keys: {', '.join(SHARE_KEYS)}")
    principal = body.get("principal")
    if not isinstance(principal, str) or not principal.strip():
        raise BadShare(
            "principal must be a user name, a user's e-mail or a group name, "
            f"found {_shown(principal) if 'principal' in body else 'nothing'}"
        )
    permissions = body.get("permissions")
    allowed = ", ".join(acl.SHARE_PERMISSIONS)
    if not isinstance(permissions, list) or not permissions:
        raise BadShare(
            f"permissions must be a non-empty list of {allowed}, "
            f"found {_shown(permissions) if 'permissions' in body else 'nothing'}"
        )
    for permission in permissions:
        if permission not in acl.SHARE_PERMISSIONS:
            raise BadShare(f"unknown permission {_shown(permission)}; permissions: {allowed}")
    return principal, tuple(dict.fromkeys(permissions))


def find_principal(principal: str):
    """The user (by user name, or by e-mail, case-insensitive) or the group a share names.

    A name that is both a user's and a group's names the user. An e-mail names the user whose
    address it is for sure (accounts.identity's rule, as for owner values): verified, or set
    by an administrator; an address somebody merely typed names nobody. Raises BadShare for
    a name that names nobody (or an e-mail that several users hold).
    """
    User = get_user_model()
    if "@" in principal:
        users = users_named_by_email(principal)
        if len(users) == 1:
            return users[0]
        if users:
            raise BadShare(f"several users have the e-mail '{principal}': share by user name")
    else:
        user = User.objects.filter(**{User.USERNAME_FIELD: principal}).first()
        if user is not None:
            return user
        group = Group.objects.filter(name=principal).first()
        if group is not None:
            return group
    raise BadShare(
        f"no user or group '{principal}': a share names a user, a user's e-mail or a group"
    )


@rls.as_server
def record_share(
    *, record: Record, principal: str, permissions: tuple[str, ...], request=None
) -> None:
    """Grant `permissions` on `record` to `principal`; written to the audit trail."""
    target = find_principal(principal)
    with transaction.atomic():
        for permission in permissions:
            assign_perm(f"records.{CODENAMES[permission]}", target, record)
    share_event(audit.Kind.SHARE_GRANTED, record, principal, permissions, request)


@rls.as_server
def record_unshare(
    *, record: Record, principal: str, permissions: tuple[str, ...], request=None
) -> None:
    """Revoke `permissions` on `record` from `principal`; written to the audit trail."""
    target = find_principal(principal)
    with transaction.atomic():
        for permission in permissions:
            remove_perm(f"records.{CODENAMES[permission]}", target, record)
    share_event(audit.Kind.SHARE_REVOKED, record, principal, permissions, request)


def share_event(kind, record: Record, principal: str, permissions, request, how: str = "") -> None:
    """A share granted or revoked, in the audit trail: `<app>/<id>`, `<principal>: <perms>`."""
    audit.record(
        kind,
        request=request,
        target=f"{record.app_id}/{record.record_id}",
        detail=f"{principal}: {', '.join(permissions)}{how}",
    )
