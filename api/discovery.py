"""Discovery (issue 15): `GET /api/v1/` lists the apps the caller may read, and
`GET /api/v1/<app>/openapi.json` describes one app's API as the caller may use it
(api/openapi.py)."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import reverse

from records import access as gate
from site_model.loader import current_site

from . import openapi
from .views import call_for, endpoint


def server_url(request) -> str:
    return request.build_absolute_uri(reverse("api:index")).rstrip("/")


def apps_index(request):
    site = current_site()
    apps = []
    for app_id, app in sorted(site.apps.items()):
        if not gate.access_to(app, request.user).has_right("reader"):
            continue
        path = request.build_absolute_uri(reverse("api:app", kwargs={"app_id": app_id}))
        apps.append(
            {"id": app.id, "title": app.title, "path": path, "openapi": f"{path}/openapi.json"}
        )
    return JsonResponse({"apps": apps, "docs": request.build_absolute_uri("/api/docs/")})


def app_description(request, app_id):
    c = call_for(request, app_id)
    return JsonResponse(openapi.describe(c.app, c.access, server_url(request)))


index_view = endpoint(GET=apps_index)
description_view = endpoint(GET=app_description)
