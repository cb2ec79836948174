"""Contract §10, property-based: every verdict `GET /api/v1/<app>/access` gives equals what
the API then does for that user, across owners (items naming users, e-mails, groups, roles),
groups, rights and shares. The worlds are row-level security's (records/tests/
test_rls_properties.py); no oracle is written here: the explanation is the oracle, and the
API's answers judge it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import given

from records.tests.test_rls_properties import USERS, build, crm_site, worlds  # noqa: F401
from tests.helpers import new_client, site_property

pytestmark = pytest.mark.django_db(transaction=False)

PROPERTY = site_property(max_examples=15)


def acted(client, right: str, record_id: str) -> bool:
    """Did the API let `client` do `right` to the record (rolled back after)?"""
    path = f"/api/v1/crm/record/{record_id}"
    request = {
        "read": ("GET", path, None),
        "edit": ("PATCH", path, {"note": "changed"}),
        "delete": ("DELETE", path, None),
        "share": ("POST", f"{path}/share", {"principal": "east", "permissions": ["view"]}),
        "create": ("POST", "/api/v1/crm", {"note": "new"}),
    }[right]
    with transaction.atomic():
        response = client.send(*request)
        transaction.set_rollback(True)
    assert response.status_code < 500, response.content
    return response.status_code in (200, 201)


@PROPERTY
@given(world=worlds())
def test_every_verdict_of_explain_is_what_the_api_does(crm_site, world):  # noqa: F811
    with transaction.atomic():
        ids = build(crm_site, world)
        root = get_user_model().objects.create_user("root", is_superuser=True)
        manager = new_client(root)
        for user in USERS:
            client = new_client(user)
            app_wide = manager.get(f"/api/v1/crm/access?user={user}").json()["rights"]
            listed = client.get("/api/v1/crm/records").status_code == 200
            assert app_wide["read"]["allowed"] == listed, (user, app_wide["read"])
            assert app_wide["create"]["allowed"] == acted(client, "create", ""), user
            for record_id in ids:
                answer = manager.get(f"/api/v1/crm/access?user={user}&record={record_id}")
                for right, verdict in answer.json()["rights"].items():
                    done = acted(client, right, record_id)
                    assert verdict["allowed"] == done, (user, record_id, right, verdict)
        transaction.set_rollback(True)
