from django.contrib import admin
from django.urls import include, path, re_path

from blocks import views as block_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("records.api.urls")),
    path("", include("records.urls")),
    path("", include("blocks.urls")),
    # Page paths end with "/", so a path without one falls through to APPEND_SLASH.
    re_path(r"^(?P<path>(?:.*/)?)$", block_views.page_view, name="page"),
]
