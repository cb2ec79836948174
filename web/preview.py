"""Preview as (contract §10): `/preview/<username>/<page path>` shows a page exactly as that
user is served it, to a manager of every app whose blocks are on it (or a superuser); who may
preview whom is the gate's (records.access.preview_decision).

The previewed user stands in for the visitor in one place, `previewing`: `request.user`
becomes them, so every question the page asks (the page's and each block's
`view_permission`, rows, roles, block code's `context.user`) is asked of them, and
`request.previewed_by` keeps the one looking (blocks.render.is_preview). Nothing writes: the
page is rendered inside a transaction that is rolled back, its forms are disabled and post
back here, and every method but GET and HEAD answers 403. Each preview is in the audit trail,
and so is each refused one (a write under a preview, a page or user one may not preview).
"""

from __future__ import annotations

from urllib.parse import quote

from django.db import transaction
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import audit
from records import access as gate
from records.errors import UserNotFound
from site_model.acl import Verdict
from site_model.loader import current_site
from site_model.texts import translated

from .responses import deny
from .views import serve_page

NOTHING_WRITES = gettext_lazy("Nothing can be changed while previewing a page as another user.")
PREFIX = "/preview/"


def preview_prefix(username: str) -> str:
    return f"{PREFIX}{quote(username, safe='')}"


def refused(
    request, target: str, reason, values: dict | None = None, verdict: Verdict = Verdict.FORBID
):
    """A preview refused: the 403 page saying why (`reason`, a gettext_lazy text filled with
    `values`, in the visitor's language), and a `preview_refused` row (in English; capped, as
    every refusal anyone may provoke)."""
    values = values or {}
    with translation.override("en"):
        english = str(reason) % values
    audit.record(
        audit.Kind.PREVIEW_REFUSED,
        request=request,
        target=target,
        status=403,
        detail=f"{request.method}: {english}",
    )
    return deny(request, verdict, str(reason) % {name: translated(v) for name, v in values.items()})


def view_as(request):
    """The "View as…" control's GET (`?user=&path=`): on to that user's preview of the page."""
    if request.method not in ("GET", "HEAD"):
        return refused(request, request.path, NOTHING_WRITES)
    username = request.GET.get("user", "").strip()
    path = request.GET.get("path", "/")
    if not username or not path.startswith("/") or path.startswith("//"):
        return HttpResponseBadRequest(
            _("Name a user to view the page as (user=) and the page's path (path=/...)."),
            content_type="text/plain",
        )
    return HttpResponseRedirect(preview_prefix(username) + path)


def preview_view(request, username: str, path: str = ""):
    if request.method not in ("GET", "HEAD"):
        return refused(request, f"{username} /{path}", NOTHING_WRITES)
    if not request.user.is_authenticated:
        return deny(request, Verdict.LOGIN)
    site = current_site()
    url_path = "/" + path
    page = site.page_at(url_path)
    if page is None:
        raise Http404(f"no page at {url_path}")
    if not gate.may_preview(site, page, request.user):
        return refused(
            request,
            f"{username} {url_path}",
            gettext_lazy("You may not preview the page at %(path)s."),
            {"path": url_path},
        )
    try:
        previewed = gate.user_called(username)
    except UserNotFound as exc:
        raise Http404(exc.message) from exc
    decision = gate.preview_decision(site, page, request.user, previewed)
    if not decision:
        reason = gettext_lazy("You may not preview this page as %(user)s: %(because)s.")
        values = {"user": username, "because": decision.because}
        return refused(request, f"{username} {url_path}", reason, values, decision.verdict)
    audit.record(
        audit.Kind.PREVIEW,
        request=request,
        target=f"{previewed.get_username()} {url_path}",
        detail=decision.because,
    )
    previewing(request, previewed)
    with transaction.atomic():
        response = serve_page(request, site, page, url_path)
        transaction.set_rollback(True)  # whatever block code wrote while rendering
    return response


def previewing(request, user) -> None:
    """From here on the request is `user`'s, looked at by the one who was signed in."""
    request.previewed_by = request.user
    request.user = user
