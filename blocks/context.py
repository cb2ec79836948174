"""The `context` handed to block code: request, page, params, block, user, app, record, html()."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cached_property

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from accounts.identity import who_for
from records import acl as acl_core

logger = logging.getLogger("blocks")


@dataclass(frozen=True)
class PageInfo:
    name: str
    path: str
    title: str


@dataclass(frozen=True)
class UserInfo:
    username: str
    email: str
    groups: list[str]
    roles: list[str]
    is_verified: bool


class AclContext:
    """`context.app.acl`: the visitor's rights and roles in this app, from the permission core."""

    def __init__(self, access: acl_core.Access):
        self._access = access

    def current_user(self) -> str | None:
        return self._access.who.username

    def current_user_groups(self) -> list[str]:
        return sorted(self._access.who.groups)

    def has_role(self, role: str) -> bool:
        return role in self._access.roles

    def has_access_right(self, right: str) -> bool:
        if right not in acl_core.RANK:
            raise ValueError(f"unknown right {right!r}; rights: {', '.join(acl_core.RIGHTS)}")
        return self._access.has_right(right)

    def roles(self) -> list[str]:
        return sorted(self._access.roles)


class AppContext:
    """`context.app`: one app of the site as block code sees it."""

    def __init__(self, site, app, request, logs: list[str]):
        self._site = site
        self._app = app
        self._request = request
        self._logs = logs
        self.id = app.id
        self.title = app.title

    @cached_property
    def access(self) -> acl_core.Access:
        return acl_core.access_for(self._app.acl, who_for(getattr(self._request, "user", None)))

    @cached_property
    def acl(self) -> AclContext:
        return AclContext(self.access)

    @property
    def url(self) -> str:
        return reverse("api:app", kwargs={"app_id": self.id})

    @property
    def blocks(self) -> list[str]:
        return sorted(self._app.blocks)

    @property
    def indexes(self) -> dict[str, str]:
        return dict(self._app.indexes)

    @property
    def debug(self) -> bool:
        return self._app.debug

    def log(self, message) -> None:
        text = str(message)
        logger.info("[%s] %s", self.id, text)
        self._logs.append(text)

    def __getattr__(self, name):
        # Record methods (create_record, get_record, search, readable, ...) live in records.
        from records.blockapi import record_method

        method = record_method(self, name)
        if method is None:
            raise AttributeError(f"context.app has no attribute '{name}'")
        return method


class BlockContext:
    """What one rendering (or one action, or one hook) of a block sees. Block code may add
    attributes of its own: what `on_display` puts here, the element functions see."""

    def __init__(self, *, request, site, block, page=None, record=None, params=None):
        self.request = request
        self.block = block
        self.page = PageInfo(page.name, page.path, page.title) if page is not None else None
        self.params = params if params is not None else params_of(request)
        self.record = record
        self.logs: list[str] = []
        self._site = site
        self.app = AppContext(site, site.apps[block.app_id], request, self.logs)

    @cached_property
    def user(self) -> UserInfo | None:
        who = who_for(getattr(self.request, "user", None))
        if not who.is_authenticated:
            return None
        return UserInfo(
            username=who.username,
            email=who.email,
            groups=sorted(who.groups),
            roles=sorted(self.app.access.roles),
            is_verified=who.is_verified,
        )

    def apps(self, app_id: str) -> AppContext:
        app = self._site.apps.get(app_id)
        if app is None:
            raise LookupError(f"no app '{app_id}'; apps: {', '.join(sorted(self._site.apps))}")
        return AppContext(self._site, app, self.request, self.logs)

    @staticmethod
    def html(markup) -> SafeString:
        """Markup that the layout emits as it is; everything else is escaped."""
        return mark_safe(str(markup))  # noqa: S308 - the one place markup is trusted: block code asks for it


def params_of(request) -> dict:
    """Query string, form fields, or a JSON object body, as one dict (repeated keys: a list)."""
    params: dict = {}
    for source in (request.GET, request.POST):
        for key, values in source.lists():
            if key != "csrfmiddlewaretoken":
                params[key] = values[0] if len(values) == 1 else values
    if request.method != "GET" and request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict):
            params.update(body)
    return params
