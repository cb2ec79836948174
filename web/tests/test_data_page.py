"""The app's data page, `/apps/<app>/data/`: export links for readers, the import form for
authors (its script talks to the JSON API: tests/e2e/test_import_page.py)."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_author_gets_the_import_form_and_the_export_links(api_client, records_site):
    page = api_client("author").get("/apps/sales/data/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="import-form"' in html
    for fmt in ("csv", "json", "xlsx"):
        assert f'href="/api/v1/sales/export?format={fmt}"' in html
    assert '<option value="order">order</option>' in html
    assert "secret" not in html  # a block only managers may see


def test_a_reader_gets_the_export_links_only(api_client, records_site):
    html = api_client("reader").get("/apps/sales/data/").content.decode()
    assert "/api/v1/sales/export?format=csv" in html
    assert "import-form" not in html


def test_others_are_refused_as_everywhere(api_client, records_site):
    assert api_client("stranger").get("/apps/sales/data/").status_code == 403
    anonymous = api_client().get("/apps/sales/data/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=/apps/sales/data/")
    assert api_client("author").get("/apps/nope/data/").status_code == 404
