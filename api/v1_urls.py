"""The JSON API's URLconf (`/api/v1/`, namespace `api`): the site files' JSON Schemas
(api/site_schema.py), the record routes (api/record_urls.py), the block routes
(api/block_views.py), then the JSON 404 for anything else."""

from django.urls import re_path

from . import block_views, record_urls, site_schema

app_name = "api"

APP = record_urls.APP

urlpatterns = [
    # Before the record routes, whose `<app>/...` would take it.
    re_path(
        r"^site-schema/(?P<kind>[^/]+)\.json$",
        site_schema.site_schema_view,
        name="site-schema",
    ),
    *record_urls.urlpatterns,
    re_path(APP + r"/blocks/(?P<block_id>[^/]+)/?$", block_views.block_view, name="block"),
    re_path(
        APP + r"/blocks/(?P<block_id>[^/]+)/(?P<element_id>[^/]+)/?$",
        block_views.element_view,
        name="element",
    ),
    record_urls.fallback,
]
