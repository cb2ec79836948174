"""/api/v1/...: a trailing slash is accepted everywhere; anything else answers JSON 404."""

from django.urls import re_path

from . import views

app_name = "api"

APP = r"^(?P<app_id>[^/]+)"

urlpatterns = [
    re_path(APP + r"/?$", views.app_view, name="app"),
    re_path(APP + r"/records/?$", views.records_view, name="records"),
    re_path(APP + r"/record/(?P<record_id>[^/]+)/share/?$", views.share_view, name="share"),
    # `[\s\S]+?`: an id holding a slash (%2F) or a newline (%0A) still reaches the view, which
    # refuses it with 400 (`.` would skip the newline, leaving the path to Django's HTML 404).
    re_path(APP + r"/record/(?P<record_id>[\s\S]+?)/?$", views.record_view, name="record"),
    re_path(APP + r"/search/?$", views.search_view, name="search"),
    re_path(APP + r"/refresh/?$", views.refresh_view, name="refresh"),
    re_path(APP + r"/blocks/(?P<block_id>[^/]+)/?$", views.block_view, name="block"),
    re_path(
        APP + r"/blocks/(?P<block_id>[^/]+)/(?P<element_id>[^/]+)/?$",
        views.element_view,
        name="element",
    ),
    re_path(r"^(?P<rest>[\s\S]*)$", views.not_found),
]
