"""HTML answers shared by the HTML surface's routes: the one place a refusal (`deny`), or an error
of the records layer (`failed`), becomes a response."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from records.errors import (
    Denied,
    FieldLocked,
    OwnerItemLocked,
    RecordError,
    RecordExists,
    RecordNotFound,
    StaleRecord,
)
from site_model.acl import Verdict
from site_model.texts import translated


def deny(request, verdict: Verdict, reason: str = ""):
    """The one place an HTML route turns a refusal into a response.

    `reason`: for a 403, what the page says was refused (as the API's message says it, in the
    visitor's language when it is a site_model.texts.Message)."""
    if verdict is Verdict.LOGIN:
        if request.htmx:
            # A background post would follow the redirect and swap the login page into the block.
            return HttpResponseClientRedirect(
                redirect_to_login(request.htmx.current_url_abs_path or "/").url
            )
        return redirect_to_login(request.get_full_path())
    if verdict is Verdict.FORBID:
        if reason:
            return render(request, "403.html", {"reason": translated(reason)}, status=403)
        raise PermissionDenied(_("You may not see this."))
    raise Http404


def failed(request, exc: RecordError):
    """The one place an HTML route turns an error of the records layer into a response: the
    gate's refusal as `deny` answers it, a record gone (deleted meanwhile) the 404 page, an
    owner item locked the 403 page with its message, any other a plain-text 409, 412 or 400
    (its message in the visitor's language where the records layer wrote it as a Message)."""
    if isinstance(exc, Denied):
        return deny(request, exc.verdict)
    if isinstance(exc, RecordNotFound):
        raise Http404(exc.message)
    if isinstance(exc, OwnerItemLocked | FieldLocked):
        return deny(request, Verdict.FORBID, exc.message)
    status = 409 if isinstance(exc, RecordExists) else 412 if isinstance(exc, StaleRecord) else 400
    return HttpResponse(translated(exc.message), status=status, content_type="text/plain")


def respond_block(request, block, html, *, status: int = 200):
    """A block's HTML (or its error box) alone: bare for htmx, inside the site chrome otherwise."""
    if request.htmx:
        return HttpResponse(html, status=status)
    return render(request, "block.html", {"block_spec": block, "html": html}, status=status)


def go(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
