"""Discovery (issue 15): `GET /api/v1/` lists the apps the caller may read, and
`GET /api/v1/<app>/openapi.json` describes one app's API as the caller may use it
(api/openapi.py)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.response import Response

from records import access as gate
from site_model.loader import current_site

from . import openapi
from .endpoints import ApiView, AppEndpoint


def server_url(request) -> str:
    return request.build_absolute_uri(reverse("api:index")).rstrip("/")


class IndexView(ApiView):
    def get(self, request):
        apps = []
        for app_id, app in sorted(current_site().apps.items()):
            if not gate.access_to(app, request.user).has_right("reader"):
                continue
            path = request.build_absolute_uri(reverse("api:app", kwargs={"app_id": app_id}))
            apps.append(
                {"id": app.id, "title": app.title, "path": path, "openapi": f"{path}/openapi.json"}
            )
        return Response({"apps": apps, "docs": request.build_absolute_uri("/api/docs/")})


def description(app, user, server: str) -> dict:
    """The description of `app` that `user` gets (the tests check the API against it)."""
    access = gate.access_to(app, user)
    return openapi.describe(gate.app_as_seen(app, access), access, server)


class DescriptionView(AppEndpoint):
    def get(self, request, app_id):
        return Response(description(self.app, request.user, server_url(request)))


index_view = IndexView.as_view()
description_view = DescriptionView.as_view()
