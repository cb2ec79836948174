"""Profile values (settings.yaml `users.fields`, contract §11): who may set which, and how.

A user changes the fields of `users.self_edit` on their account page; a user manager
(`auth.user_managers`) changes anyone's fields and groups on the People page, giving only
what they hold themselves: a CHOICE value they have in the same field, a group they are in
(Glide's rule; `refused_gifts`). Superusers (the admin) may give anything. Values are checked
by the rules of their field's element type, as a record's items are by theirs.

Reads go with the user (accounts.identity: `identity_for(user).profile`); writes are here.
"""

from __future__ import annotations

import datetime
import decimal
import logging

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from guardian.conf import settings as guardian_settings

from site_model.acl import Who
from site_model.elements import rule_sentence
from site_model.spec import Element

from .models import Profile

logger = logging.getLogger("accounts")


class ProfileRefused(Exception):
    """A user manager tried to give what they do not hold: 403, `str(exc)` says what."""


class ProfileInvalid(ValueError):
    """Values that break their field's rules: `problems` maps a field to its message."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{name}: {text}" for name, text in problems.items()))
        self.problems = problems


def stored_values(user) -> dict:
    """The user's stored profile, every key (for a write that keeps the undeclared ones)."""
    row = Profile.objects.filter(user=user).first()
    return dict(row.data) if row is not None and isinstance(row.data, dict) else {}


def json_value(value):
    """A cleaned form value as JSON holds it (dates as ISO 8601, Decimals as numbers)."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def profile_form_class(fields: dict[str, Element], editable) -> type[forms.Form]:
    """A form of the `editable` profile fields, each with its element type's field and rules."""
    attrs = {
        name: element.definition.form_field(element)
        for name, element in fields.items()
        if name in editable
    }
    return type("ProfileForm", (forms.Form,), attrs)


def check_values(fields: dict[str, Element], values: dict) -> None:
    """`ProfileInvalid` unless every value fits its field's rules (and names a field)."""
    problems = {}
    for name, value in values.items():
        element = fields.get(name)
        if element is None:
            problems[name] = f"no such profile field; fields: {', '.join(fields) or 'none'}"
            continue
        if value in (None, ""):
            continue
        problem = element.check(value)
        if problem:
            problems[name] = problem
    if problems:
        raise ProfileInvalid(problems)


def problems_shown(fields: dict[str, Element], exc: ProfileInvalid) -> dict[str, str]:
    """A `ProfileInvalid`'s problems as a form shows them, in the visitor's language."""
    return {
        name: rule_sentence(fields[name], problem) if name in fields else problem
        for name, problem in exc.problems.items()
    }


def refused_gifts(giver: Who, fields: dict[str, Element], before: dict, after: dict) -> list[str]:
    """The CHOICE values `after` gives that `before` did not and `giver` does not hold, as
    principals (`team:west`). Superusers hold everything."""
    if giver.is_superuser:
        return []
    refused = []
    for name, value in after.items():
        element = fields.get(name)
        if element is None or element.type != "CHOICE" or value in (None, ""):
            continue
        principal = f"{name}:{value}"
        if value != before.get(name) and principal not in giver.profile:
            refused.append(principal)
    return refused


def profile_save(*, user, fields: dict[str, Element], changes: dict) -> dict:
    """Write `changes` (field -> value; None or "" clears) over the user's profile, checked by
    the fields' rules; returns the new values. Fields not in `changes` keep theirs."""
    check_values(fields, changes)
    with transaction.atomic():
        row, _ = Profile.objects.select_for_update().get_or_create(user=user)
        data = dict(row.data) if isinstance(row.data, dict) else {}
        for name, value in changes.items():
            if value in (None, ""):
                data.pop(name, None)
            else:
                data[name] = json_value(value)
        row.data = data
        row.save(update_fields=["data"])
    return data


def manager_update(
    *,
    manager: Who,
    user,
    fields: dict[str, Element],
    changes: dict,
    groups: list[str] | None = None,
) -> None:
    """A user manager sets `user`'s profile `changes` and (when given) their groups, all or
    nothing. Refused (`ProfileRefused`) when it gives a CHOICE value or a group the manager
    does not hold, or takes away a group the manager is not in."""
    before = stored_values(user)
    refused = refused_gifts(manager, fields, before, changes)
    if groups is not None and not manager.is_superuser:
        current = set(user.groups.values_list("name", flat=True))
        touched = current.symmetric_difference(groups)
        refused += sorted(touched - set(manager.groups))
    if refused:
        raise ProfileRefused(
            _("You can only give values and groups you hold yourself; not: %(refused)s")
            % {"refused": ", ".join(refused)}
        )
    with transaction.atomic():
        profile_save(user=user, fields=fields, changes=changes)
        if groups is not None:
            user.groups.set(Group.objects.filter(name__in=groups))
    logger.info(
        "user %s set %s's profile %s and groups %s",
        manager.username,
        user.get_username(),
        sorted(changes),
        "unchanged" if groups is None else sorted(groups),
    )


def person(username: str):
    """The user named `username` (django-guardian's anonymous stand-in is nobody), or None."""
    if username == guardian_settings.ANONYMOUS_USER_NAME:
        return None
    User = get_user_model()
    return User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()


def people_list(*, query: str, fields: dict[str, Element], limit: int) -> list[dict]:
    """The first `limit` users by name whose name or address holds `query`, each with their
    groups and declared profile values: three queries (users, groups, profiles)."""
    User = get_user_model()
    users = User._default_manager.exclude(username=guardian_settings.ANONYMOUS_USER_NAME)
    if query:
        users = users.filter(Q(username__icontains=query) | Q(email__icontains=query))
    users = users.order_by("username").prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name"))
    )[:limit]
    found = list(users)
    stored = dict(
        Profile.objects.filter(user__in=[u.pk for u in found]).values_list("user_id", "data")
    )
    rows = []
    for user in found:
        data = stored.get(user.pk) or {}
        rows.append(
            {
                "user": user,
                "groups": [group.name for group in user.groups.all()],
                "values": [
                    element.display(data[name]) if data.get(name) not in (None, "") else ""
                    for name, element in fields.items()
                ],
            }
        )
    return rows
