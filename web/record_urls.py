"""The record routes (HTML): `/apps/<app>/records/<id>/` and `/apps/<app>/records/<id>/edit/`,
a FILE item's upload at `/apps/<app>/records/<id>/files/<element>/`, and the app's data page
(import, export) at `/apps/<app>/data/`."""

from django.urls import re_path

from . import data_views
from . import record_views as views

app_name = "records"

urlpatterns = [
    re_path(r"^apps/(?P<app_id>[^/]+)/data/$", data_views.data_view, name="data"),
    re_path(
        r"^apps/(?P<app_id>[^/]+)/records/(?P<record_id>[^/]+)/files/(?P<element_id>[^/]+)/$",
        views.record_file,
        name="file",
    ),
    re_path(
        r"^apps/(?P<app_id>[^/]+)/records/(?P<record_id>[^/]+)/edit/$",
        views.record_view,
        {"edit": True},
        name="edit",
    ),
    re_path(
        r"^apps/(?P<app_id>[^/]+)/records/(?P<record_id>[^/]+)/$", views.record_view, name="record"
    ),
]
