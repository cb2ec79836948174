"""The JSON API's URLconf (`/api/v1/`): the record routes of api, the block routes of
this layer, then the JSON 404 for anything else."""

from django.urls import re_path

from api import block_views as api
from api import record_urls

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
