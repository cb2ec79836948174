"""The demo's rating app (apps/rating, pages/ratings.yaml) on the repository's own site folder."""

import pytest
from django.conf import settings as django_settings

from records.models import Record

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_site(settings):
    settings.SITE_DIR = django_settings.BASE_DIR


def test_like_counts_per_page_and_top_five(demo_site, client, users):
    assert (
        '<strong class="likes">0</strong> likes for this page.'
        in client.get("/ratings/").content.decode()
    )
    for _ in range(2):
        response = client.post("/apps/rating/blocks/rate/", {"like": "1", "next": "/ratings/"})
        assert response["Location"] == "/ratings/"
    client.post("/apps/rating/blocks/rate/", {"like": "1", "next": "/"})
    html = client.get("/ratings/").content.decode()
    assert '<strong class="likes">2</strong> likes for this page.' in html
    assert (
        '<li><a href="/ratings/">/ratings/</a>: 2 likes</li>\n  <li><a href="/">/</a>: 1 like</li>'
        in html
    )
    assert (
        '<strong class="likes">1</strong> like for this page.' in client.get("/").content.decode()
    )
    record = Record.objects.get(app_id="rating", record_id="page:ratings")
    assert record.items == {"path": "/ratings/", "likes": 2, "block": "counter"}


def test_like_with_htmx_re_renders_the_block(demo_site, client):
    response = client.post(
        "/apps/rating/blocks/rate/", {"like": "1", "next": "/ratings/"}, HTTP_HX_REQUEST="true"
    )
    assert '<strong class="likes">1</strong> like for this page.' in response.content.decode()


def test_counts_readable_through_the_api(demo_site, client, users):
    client.post("/apps/rating/blocks/rate/", {"like": "1", "next": "/ratings/"})
    assert client.get("/api/v1/rating/record/page:ratings").json() == {
        "id": "page:ratings",
        "path": "/ratings/",
        "likes": 1,
        "block": "counter",
    }
    response = client.post(
        "/api/v1/rating/record/page:ratings", "{}", content_type="application/json"
    )
    assert response.status_code == 401
