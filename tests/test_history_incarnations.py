"""A record made again under a deleted one's id (callers choose ids) is a new record: its history
and its restore reach none of the versions of the one deleted, which its new readers may never
have been allowed to read (contract §9; found attacking issue 28's row-level security, whose
history policy follows the record that lives under the id). Both engines."""

from __future__ import annotations

import pytest

from records import selectors, store
from site_model.loader import current_site
from tests.helpers import new_client

pytestmark = pytest.mark.django_db

SALES = """
acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
    editor: [admins]
  row_owners: [salesman]
"""


@pytest.fixture
def remade(site_dir, user_factory):
    """carol's secret sale `x`, deleted; bob (who never could read it) makes `x` again."""
    site_dir.write("apps/sales/settings.yaml", SALES)
    site_dir.write("apps/sales/blocks/sale.yaml", "elements:\n  customer: TEXT\n  salesman: TEXT\n")
    app = current_site().apps["sales"]
    secret = store.record_create(
        app=app, items={"customer": "Secret Corp", "salesman": "carol"}, record_id="x"
    )
    store.record_save(app=app, record=secret, items={"customer": "Secret Corp 2"})
    store.record_delete(app=app, record=selectors.record_get("sales", "x"))
    bob = new_client(user_factory("bob"))
    made = bob.send("PUT", "/api/v1/sales/record/x", {"customer": "Mine", "salesman": "bob"})
    assert made.status_code == 201, made.content
    return bob


def test_the_history_of_a_record_made_again_shows_only_its_own_versions(remade):
    history = remade.get("/api/v1/sales/record/x/history")
    assert history.status_code == 200
    assert "Secret Corp" not in history.content.decode()
    assert [version["by"] for version in history.json()] == ["bob"]


def test_a_record_made_again_cannot_restore_a_version_of_the_deleted_one(remade):
    restored = remade.send("POST", "/api/v1/sales/record/x/restore", {"version": 1})
    assert restored.status_code == 400
    assert "has no version 1" in restored.json()["error"]
    assert "Secret Corp" not in remade.get("/api/v1/sales/record/x").content.decode()


def test_the_html_history_of_a_record_made_again_shows_only_its_own_versions(remade):
    page = remade.get("/apps/sales/records/x/history/")
    assert page.status_code == 200
    assert "Secret Corp" not in page.content.decode()
    posted = remade.post("/apps/sales/records/x/history/", {"version": "1"})
    assert posted.status_code == 400
    assert "Secret Corp" not in remade.get("/api/v1/sales/record/x").content.decode()
