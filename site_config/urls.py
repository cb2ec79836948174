from django.contrib import admin
from django.urls import include, path, re_path

from blocks.pages import views as block_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("blocks.pages.api_urls")),
    path("", include("blocks.pages.record_urls")),
    path("", include("blocks.pages.urls")),
    # Page paths end with "/", so a path without one falls through to APPEND_SLASH.
    re_path(r"^(?P<path>(?:.*/)?)$", block_views.page_view, name="page"),
]
