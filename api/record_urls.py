"""/api/v1/...: the record routes. A trailing slash is accepted everywhere; `fallback` answers
JSON 404 for anything else. The whole URLconf is assembled by api/v1_urls.py."""

from django.urls import re_path

from . import data_views, discovery, views

APP = r"^(?P<app_id>[^/]+)"

urlpatterns = [
    re_path(r"^$", discovery.index_view, name="index"),
    # Before the app routes: `jobs` is no app.
    re_path(r"^jobs/(?P<job_id>[^/]+)/?$", data_views.job_view, name="job"),
    re_path(APP + r"/?$", views.app_view, name="app"),
    re_path(APP + r"/openapi\.json$", discovery.description_view, name="openapi"),
    re_path(APP + r"/records/?$", views.records_view, name="records"),
    re_path(APP + r"/record/(?P<record_id>[^/]+)/share/?$", views.share_view, name="share"),
    # `[\s\S]+?`: an id holding a slash (%2F) or a newline (%0A) still reaches the view, which
    # refuses it with 400 (`.` would skip the newline, leaving the path to Django's HTML 404).
    re_path(APP + r"/record/(?P<record_id>[\s\S]+?)/?$", views.record_view, name="record"),
    re_path(APP + r"/search/?$", views.search_view, name="search"),
    re_path(APP + r"/aggregate/?$", views.aggregate_view, name="aggregate"),
    re_path(APP + r"/refresh/?$", views.refresh_view, name="refresh"),
    re_path(APP + r"/access/?$", views.access_view, name="access"),
    re_path(APP + r"/import/?$", data_views.import_view, name="import"),
    re_path(APP + r"/export/?$", data_views.export_view, name="export"),
    # api/v1_urls.py adds the routes of blocks, then `fallback`.
]

fallback = re_path(r"^(?P<rest>[\s\S]*)$", views.not_found)
