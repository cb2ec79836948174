"""HTML answers shared by the page layer's routes: the one place a refusal becomes a response."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect

from blocks.site.acl import Verdict


def deny(request, verdict: Verdict):
    """The one place an HTML route turns a refusal into a response."""
    if verdict is Verdict.LOGIN:
        if request.htmx:
            # A background post would follow the redirect and swap the login page into the block.
            return HttpResponseClientRedirect(
                redirect_to_login(request.htmx.current_url_abs_path or "/").url
            )
        return redirect_to_login(request.get_full_path())
    if verdict is Verdict.FORBID:
        raise PermissionDenied("You may not see this.")
    raise Http404


def respond_block(request, block, html, *, status: int = 200):
    """A block's HTML (or its error box) alone: bare for htmx, inside the site chrome otherwise."""
    if request.htmx:
        return HttpResponse(html, status=status)
    return render(request, "block.html", {"block_spec": block, "html": html}, status=status)


def go(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
