from django.contrib import admin
from django.urls import include, path, re_path

from api import discovery as api_discovery
from api import docs as api_docs
from api import views as api_views
from web import views as block_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("favicon.ico", block_views.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1", api_discovery.index_view),  # the index without its slash, as every API path
    path("api/v1/", include("api.v1_urls")),
    path("api/docs/", api_docs.docs_page, name="api-docs"),
    # Anything else under /api/ answers JSON too, with or without a slash (contract §7).
    re_path(r"^api(?:/[\s\S]*)?$", api_views.not_found),
    path("", include("web.record_urls")),
    path("", include("web.urls")),
    # Page paths end with "/", so a path without one falls through to APPEND_SLASH.
    re_path(r"^(?P<path>(?:.*/)?)$", block_views.page_view, name="page"),
]

handler400 = "site_config.errors.bad_request"
handler403 = "site_config.errors.permission_denied"
handler404 = "site_config.errors.page_not_found"
handler500 = "site_config.errors.server_error"
