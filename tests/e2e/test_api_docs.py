"""/api/docs/ in Chromium (issue 15): Swagger UI, from the pinned package's files, shows the
description of an app the visitor may read."""

import pytest
from django.conf import settings as conf
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_page_shows_a_description(page, settings):
    settings.SITE_DIR = conf.BASE_DIR  # the demo: events and rating are readable by anyone
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Events: the JSON API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert all(url.startswith(page.url.split("/api/")[0]) for url in requested)  # no CDN
