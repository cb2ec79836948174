from django.contrib import admin
from django.urls import include, path, re_path

from accounts.languages import set_language
from web import preview
from web import views as block_views

urlpatterns = [
    # /api/...: the JSON surface. First, so that an API request tries no other pattern: none of
    # the routes below starts with "api", so the order changes no answer.
    path("", include("api.urls")),
    path("admin/", admin.site.urls),
    path("favicon.ico", block_views.favicon, name="favicon"),
    # Django's set_language, saving a signed-in user's choice too (contract §13).
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("people/", include("accounts.people_urls")),
    path("", include("web.record_urls")),
    path("", include("web.urls")),
    path("preview/", preview.view_as, name="view-as"),
    re_path(
        r"^preview/(?P<username>[^/]+)/(?P<path>(?:.*/)?)$", preview.preview_view, name="preview"
    ),
    # Page paths end with "/", so a path without one falls through to APPEND_SLASH.
    re_path(r"^(?P<path>(?:.*/)?)$", block_views.page_view, name="page"),
]

handler400 = "site_config.errors.bad_request"
handler403 = "site_config.errors.permission_denied"
handler404 = "site_config.errors.page_not_found"
handler500 = "site_config.errors.server_error"
