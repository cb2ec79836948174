"""The endpoint bases every view of the API derives from (Django REST framework `APIView`s):
`ApiView` (methods, 405, the body) and `AppEndpoint` (the app and the caller's access in it,
resolved once, as Sentry's `ProjectEndpoint` resolves a project)."""

from __future__ import annotations

from functools import cached_property

from django.urls import reverse
from rest_framework import exceptions
from rest_framework.views import APIView

from records import access as gate
from records.errors import AppNotFound
from records.history import written_via
from site_model.acl import Access
from site_model.loader import current_site
from site_model.spec import AppSpec, Site

from .errors import not_allowed
from .framework import EMPTY

# --- endpoints ----------------------------------------------------------------------------------

HANDLERS = ("delete", "get", "patch", "post", "put")


class ApiView(APIView):
    """A view of the API: only the methods it defines (GET also answers HEAD; no OPTIONS),
    refused with 405 before anything else; no header DRF would add by itself (`Allow`)."""

    @property
    def default_response_headers(self) -> dict:
        return {}

    @classmethod
    def allowed(cls) -> list[str]:
        methods = [name.upper() for name in HANDLERS if hasattr(cls, name)]
        return methods + (["HEAD"] if "GET" in methods else [])

    def dispatch(self, request, *args, **kwargs):
        with written_via("api"):  # the versions of records written here (records.history)
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        allowed = self.allowed()
        if request.method not in allowed:
            raise not_allowed(request.method, allowed)
        super().initial(request, *args, **kwargs)

    def body(self, *, default=EMPTY):
        """The request's JSON body, parsed once; `default` for none (else 400)."""
        data = self.request.data if self.request.stream is not None else EMPTY
        if data is EMPTY:
            if default is EMPTY:
                raise exceptions.ParseError("the body is empty: send JSON")
            return default
        return data


class AppEndpoint(ApiView):
    """A view of one app, `/api/v1/<app_id>/...`: the app is resolved once (404 `no app`) and
    the caller's access in it assembled once; `requires` maps a method to the app-wide action
    the gate must allow first (`GatePermission`)."""

    requires: dict[str, str] = {}

    @cached_property
    def site(self) -> Site:
        return current_site()

    @cached_property
    def app(self) -> AppSpec:
        app = self.site.apps.get(self.kwargs["app_id"])
        if app is None:
            raise AppNotFound(f"no app '{self.kwargs['app_id']}'")
        return app

    @cached_property
    def access(self) -> Access:
        return gate.access_to(self.app, self.request.user)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.app  # noqa: B018 - 404 for an unknown app, whatever the method asks

    def require(self, action: str) -> None:
        gate.require(self.app, self.access, action)

    def record(self, record_id: str, action: str, *, lock: bool = False) -> gate.Granted:
        """The record, if the caller may do `action` to it (the gate's order); `lock`: read
        for the write that follows, in the caller's transaction."""
        return gate.record_for(self.app, self.access, record_id, action, lock=lock)

    def path(self, record_id: str) -> str:
        return self.request.build_absolute_uri(api_path(self.app.id, record_id))


def api_path(app_id: str, record_id: str) -> str:
    return f"{reverse('api:app', kwargs={'app_id': app_id})}/record/{record_id}"
