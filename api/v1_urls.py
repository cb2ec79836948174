"""The JSON API's URLconf (`/api/v1/`): the record routes of records.api, the block routes of
this layer, then the JSON 404 for anything else."""

from django.urls import re_path

from records.api import urls as record_urls

from . import api

app_name = "api"

APP = record_urls.APP

urlpatterns = [
    *record_urls.urlpatterns,
    re_path(APP + r"/blocks/(?P<block_id>[^/]+)/?$", api.block_view, name="block"),
    re_path(
        APP + r"/blocks/(?P<block_id>[^/]+)/(?P<element_id>[^/]+)/?$",
        api.element_view,
        name="element",
    ),
    record_urls.fallback,
]
