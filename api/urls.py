"""Everything under /api/, included by the root URLconf: the versioned API (namespace `api`,
api/v1_urls.py), its docs page, and a JSON 404 for any other /api/ path (contract §7)."""

from django.urls import include, path, re_path

from . import discovery, docs, views

urlpatterns = [
    path("api/v1", discovery.index_view),  # the index without its slash, as every API path
    path("api/v1/", include("api.v1_urls")),
    path("api/docs/", docs.docs_page, name="api-docs"),
    # Anything else under /api/ answers JSON too, with or without a slash (contract §7).
    re_path(r"^api(?:/[\s\S]*)?$", views.not_found),
]
