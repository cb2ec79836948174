"""`/api/docs/`: the API described for people (issue 15). Swagger UI, from the files of the
pinned `drf-spectacular-sidecar` package (static files, never a CDN), reads the apps the
visitor may read from `GET /api/v1/` and shows each one's `openapi.json`, cut to that visitor
(the page's requests carry the session cookie)."""

from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def docs_page(request):
    return render(request, "api/api_docs.html")
