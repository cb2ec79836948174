"""Aggregates under row-level security, property-based (issue 24): for every visitor, the totals
and groups of `POST /aggregate` equal what summing their own `GET /records` list gives, and
`context.app.aggregate(..., secure=True)` answers the same. The worlds (users, groups, roles,
owner items, shares) are those of test_rls_properties.py."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from records import store
from records.models import Record
from site_model.loader import current_site
from tests.helpers import new_client, site_property

from .test_rls_properties import PROBE, USERS, build, level, worlds

pytestmark = pytest.mark.django_db(transaction=False)

PROBE_TOTALS = (
    PROBE
    + """
def totals(context):
    return context.app.aggregate(
        group_by=["region"], metrics={"sum": "sum:amount", "n": "count"}, secure=True
    )
"""
)
BODY = {"group_by": ["region"], "metrics": {"sum": "sum:amount", "n": "count"}}


@pytest.fixture
def crm_site(site_dir):
    site_dir.write(
        "apps/crm/blocks/probe.yaml",
        "elements:\n  ids: BASIC\n  secure: BASIC\n  region_west: BASIC\n  totals: BASIC\n"
        "  region: {type: TEXT, index_type: field}\n"
        "  amount: {type: NUMBER, index_type: field}\n",
    )
    site_dir.write("apps/crm/blocks/probe.py", PROBE_TOTALS)
    site_dir.write("apps/crm/blocks/deal.yaml", "elements:\n  note: {type: TEXT}\n")
    return site_dir


def expected_from(listed: list[dict]) -> dict:
    """The aggregate, summed in Python over the caller's own list."""
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    skipped = 0
    for row in listed:
        items = row["items"]
        region = items.get("region")
        counts[region] += 1
        if isinstance(items.get("amount"), int | float):
            sums[region] += items["amount"]
        else:
            skipped += 1
    groups = [
        {"region": region, "sum": sums[region] if region in sums else None, "n": counts[region]}
        for region in sorted(counts, key=lambda r: (r is None, r))
    ]
    return {
        "groups": groups,
        "totals": {"sum": sum(sums.values()) if sums else None, "n": len(listed)},
        "skipped": skipped,
    }


@site_property(max_examples=20)
@given(world=worlds(), amounts=st.lists(st.one_of(st.none(), st.integers(-50, 500)), max_size=5))
def test_a_readers_totals_are_the_sum_over_their_own_list(crm_site, world, amounts):
    with transaction.atomic():
        ids = build(crm_site, world)
        app = current_site().apps["crm"]
        for record_id, amount in zip(ids, amounts, strict=False):
            if amount is not None:
                record = Record.objects.get(app_id="crm", record_id=record_id)
                store.record_save(app=app, record=record, items={"amount": amount})
        for user in (None, *USERS):
            client = new_client(user)
            answer = client.send("POST", "/api/v1/crm/aggregate", BODY)
            listed = client.get("/api/v1/crm/records?limit=1000")
            assert answer.status_code == listed.status_code, (user, answer.content)
            in_code = client.get("/api/v1/crm/blocks/probe/totals").json()
            if level(user, world) >= 1:
                expected = expected_from(listed.json())
                assert answer.json() == expected, (user, listed.json())
                assert in_code == expected
            else:
                assert answer.status_code in (401, 403)
                assert in_code == {"groups": [], "totals": {"sum": None, "n": 0}, "skipped": 0}
        transaction.set_rollback(True)
