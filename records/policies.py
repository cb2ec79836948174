"""The site's ACL as PostgreSQL's row-level security reads it (contract §12): the tables of
records migration 0012, rewritten from settings.yaml whenever an app's `acl` changes.

The policies (migration 0013) are static SQL; what they decide with lives in these tables, so a
hot-reloaded ACL holds in the database on the next request, without a migration.
`ensure_synced(site)` runs at the start of each request (web/api middleware, the job runner):
one primary-key read per site object and process, and a rewrite under a row lock when the
digest of the apps' ACLs differs from the one written. The owner rows of apps whose
`row_owners` changed are rebuilt at the same time (`owners.ensure_current`), so one record and a
list never see stale keys. Nothing here runs on SQLite.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from functools import partial

from django.db import connection, transaction

from site_model.acl import RANK
from site_model.spec import Site

from . import rls
from .models import PolicyApp, PolicyField, PolicyRight, PolicyRole, PolicyState
from .ownership import owners

_synced: weakref.WeakKeyDictionary[Site, bool] = weakref.WeakKeyDictionary()


def in_use() -> bool:
    return connection.vendor == "postgresql"


def match(principal: str) -> str:
    """A principal as the policies compare it: `names()` folds e-mail addresses only."""
    return principal.casefold() if "@" in principal else principal


def policy_rows(site: Site) -> dict[str, list]:
    """The rows of each policy table for `site`."""
    rows: dict[str, list] = {"apps": [], "rights": [], "roles": [], "fields": []}
    for app in site.apps.values():
        acl = app.acl
        rows["apps"].append((app.id, list(acl.row_owners) if acl else []))
        if acl is None:
            continue
        for right, principals in acl.rights.items():
            rows["rights"] += [(app.id, RANK[right], match(p)) for p in principals]
        for role, principals in acl.roles.items():
            rows["roles"] += [(app.id, role, match(p)) for p in principals]
        for item, rule in acl.fields.items():
            if rule.read is not None:
                rows["fields"].append((app.id, item, sorted({match(p) for p in rule.read})))
    return rows


def signature(rows: dict[str, list]) -> str:
    text = json.dumps({name: sorted(map(repr, found)) for name, found in rows.items()})
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_synced(site: Site) -> None:
    """Make the policy tables (and the owner rows) current for `site`; see the module's text."""
    if not in_use() or site in _synced or site in _seen_in_transaction():
        return
    with rls.trusted():
        rows = policy_rows(site)
        digest = signature(rows)
        written = PolicyState.objects.filter(pk=1).values_list("signature", flat=True).first()
        if written != digest:
            with transaction.atomic():
                PolicyState.objects.get_or_create(pk=1, defaults={"signature": ""})
                state = PolicyState.objects.select_for_update().get(pk=1)
                if state.signature != digest:
                    _write(rows)
                    state.signature = digest
                    state.save(update_fields=["signature"])
        for app in site.apps.values():
            if app.acl is not None and app.acl.row_owners:
                owners.ensure_current(app)
    transaction.on_commit(partial(_synced.__setitem__, site, True))
    if connection.in_atomic_block:
        _seen_in_transaction().add(site)


def _seen_in_transaction() -> weakref.WeakSet:
    """The sites found current in the transaction open now (a test's, which never commits):
    kept on its outermost atomic block, so they are forgotten with it."""
    if not connection.in_atomic_block:
        return weakref.WeakSet()
    outermost = connection.atomic_blocks[0]
    if not hasattr(outermost, "policy_sites"):
        outermost.policy_sites = weakref.WeakSet()
    return outermost.policy_sites


def _write(rows: dict[str, list]) -> None:
    for model in (PolicyApp, PolicyRight, PolicyRole, PolicyField):
        model.objects.all().delete()
    PolicyApp.objects.bulk_create(PolicyApp(app_id=a, row_owners=r) for a, r in rows["apps"])
    PolicyRight.objects.bulk_create(
        PolicyRight(app_id=a, rank=rank, match=m) for a, rank, m in rows["rights"]
    )
    PolicyRole.objects.bulk_create(
        PolicyRole(app_id=a, role=role, match=m) for a, role, m in rows["roles"]
    )
    PolicyField.objects.bulk_create(
        PolicyField(app_id=a, item=item, readers=readers) for a, item, readers in rows["fields"]
    )
