"""The JSON API's URLconf (`/api/v1/`, namespace `api`): the record routes (api/record_urls.py),
the block routes (api/block_views.py), then the JSON 404 for anything else."""

from django.urls import re_path

from . import block_views, record_urls

app_name = "api"

APP = record_urls.APP

urlpatterns = [
    *record_urls.urlpatterns,
    re_path(APP + r"/blocks/(?P<block_id>[^/]+)/?$", block_views.block_view, name="block"),
    re_path(
        APP + r"/blocks/(?P<block_id>[^/]+)/(?P<element_id>[^/]+)/?$",
        block_views.element_view,
        name="element",
    ),
    record_urls.fallback,
]
