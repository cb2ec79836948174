"""HTML routes: the pages, a block alone, its element calls (contract section 3)."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.contrib.staticfiles import finders
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.identity import who_for
from accounts.redirects import safe_next
from blocks.context import BlockContext
from blocks.render import (
    block_url,
    element_value,
    error_box,
    is_preview,
    render_block,
    run,
    shows_problems,
)
from records import access as gate
from records.history import written_via
from site_model import code
from site_model.assets import site_static_file
from site_model.check_ids import CODE_ERROR
from site_model.loader import current_site
from site_model.spec import Problem

from . import stepup
from .around import page_blocks, visible_blocks
from .forms import submit_record_form
from .responses import deny, respond_block


@require_http_methods(["GET", "HEAD"])
@written_via("form")  # the versions of records written here (records.history)
def page_view(request, path: str = ""):
    site = current_site()
    url_path = "/" + path
    page = site.page_at(url_path)
    if page is None:
        broken = site.broken_page_at(url_path)
        if broken:
            return broken_page(request, broken)
        raise Http404(f"no page at {url_path}")
    return serve_page(request, site, page, url_path)


def serve_page(request, site, page, url_path: str):
    """`page` as the visitor of `request.user` is served it (a preview sets who that is)."""
    who = who_for(request.user)
    verdict = gate.page_verdict(page, who)
    if not verdict:
        # The path the visitor typed, never the page's title: nothing they could not see.
        return deny(
            request, verdict, _("The page at %(path)s is not open to you.") % {"path": url_path}
        )
    not_yet = stepup.first(request, page, *visible_blocks(site, page, who))
    if not_yet is not None:
        return not_yet
    blocks = page_blocks(request, site, page, who, request.get_full_path())
    if is_preview(request):
        prefix = f"/preview/{quote(request.user.get_username(), safe='')}"
        blocks = [pages_kept_in_preview(site, html, prefix) for html in blocks]
    view_as = not is_preview(request) and gate.may_preview(site, page, who)
    return render(request, "page.html", {"page": page, "blocks": blocks, "view_as": view_as})


# An href to a path of this site (not `//host/...`): its path, then what follows it.
SITE_LINK = re.compile(r"""(\bhref=)(["'])(/(?!/)[^"'?#]*)([^"']*)\2""")


def pages_kept_in_preview(site, html: str, prefix: str) -> SafeString:
    """A previewed block's HTML with each link to a page of the site led through the preview
    (`prefix` + the path), so that a click stays in the previewed user's view. Other links
    (a record's page, the account pages, other sites) are left as they are: they are the
    one looking's own, without the banner (docs/security.md, section 4b)."""

    def through_preview(link: re.Match) -> str:
        attribute, quote_mark, path, rest = link.groups()
        if site.page_at(path) is None:
            return link.group(0)
        return f"{attribute}{quote_mark}{prefix}{path}{rest}{quote_mark}"

    # Safe HTML stays safe: only a prefix of %-quoted text goes into an attribute.
    return mark_safe(SITE_LINK.sub(through_preview, str(html)))  # noqa: S308


def broken_page(request, problems):
    """A page whose file cannot be read: a 500 naming the file (its `path:line` problems in
    development), instead of a 404 that would send the builder looking for a typo in the URL."""
    context = {
        "yaml_path": problems[0].path,
        "problems": problems if shows_problems() else (),
    }
    return render(request, "page_broken.html", context, status=500)


PROJECT_FAVICON = "blocks/favicon.svg"


def favicon(request):
    """/favicon.ico: the site's own (SITE_DIR/static/favicon.ico or .svg), else the project's."""
    for name, content_type in (
        ("favicon.ico", "image/x-icon"),
        ("favicon.svg", "image/svg+xml"),
        (PROJECT_FAVICON, "image/svg+xml"),
    ):
        found = site_static_file(name) if name != PROJECT_FAVICON else finders.find(name)
        if found:
            response = FileResponse(open(found, "rb"), content_type=content_type)
            response["Cache-Control"] = "max-age=86400"
            return response
    raise Http404("no favicon")


def visible_block(request, app_id: str, block_id: str):
    """(site, block) when the visitor may see it; raises or returns a refusal otherwise."""
    site = current_site()
    block = site.block(app_id, block_id)
    if block is None:
        raise Http404(f"no block '{app_id}/{block_id}'")
    verdict = gate.block_verdict(block, request.user)
    return site, block, verdict


@written_via("form")  # the versions of records written here (records.history)
def block_view(request, app_id: str, block_id: str):
    site, block, verdict = visible_block(request, app_id, block_id)
    if not verdict:
        return deny(request, verdict)
    not_yet = stepup.before_block(request, block)
    if not_yet is not None:
        return not_yet
    if request.method == "POST":
        return submit_block(request, site, block)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return show_block(request, site, block)


def show_block(request, site, block):
    ctx = BlockContext(request=request, site=site, block=block)
    return respond_block(request, block, render_block(ctx, next_url=safe_next(request)))


def submit_block(request, site, block):
    if "_save" in request.POST or "_delete" in request.POST:
        return submit_record_form(request, site, block)
    action = next((e for e in block.actions if e.id in request.POST), None)
    if action is None:
        names = ", ".join(e.id for e in block.actions) or "none"
        return HttpResponseBadRequest(
            _("The form names no action of block %(block)s; its actions: %(actions)s.")
            % {"block": block.key, "actions": names},
            content_type="text/plain",
        )
    return run_action(request, site, block, action)


def run_action(request, site, block, action):
    """Run an ACTION; a returned string is where to go, otherwise back to the page (`next`)."""
    if block.is_broken:
        return respond_block(
            request, block, error_box(block, block.problems, site.apps[block.app_id].debug)
        )
    ctx = BlockContext(request=request, site=site, block=block, renders=False)
    try:
        target = element_value(ctx, action)
    except code.BlockCodeError as exc:
        return respond_block(request, block, error_box(block, [exc.problem], ctx.app.debug))
    if isinstance(target, str) and target:
        return HttpResponseClientRedirect(target) if request.htmx else HttpResponseRedirect(target)
    if request.htmx:
        return show_block(request, site, block)
    return HttpResponseRedirect(safe_next(request) or block_url(block))


@written_via("form")  # the versions of records written here (records.history)
def element_view(request, app_id: str, block_id: str, element_id: str):
    site, block, verdict = visible_block(request, app_id, block_id)
    if not verdict:
        return deny(request, verdict)  # before the element: a hidden block's names stay hidden
    element = block.element(element_id)
    if (
        element is None
        or element_id in gate.access_to(site.apps[app_id], request.user).hidden_items
    ):
        # An item the visitor may not read answers as an element the block does not have.
        raise Http404(f"no element '{element_id}' in block '{block.key}'")
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    not_yet = stepup.before_block(request, block, element)
    if not_yet is not None:
        return not_yet
    if element.is_action:
        if request.method == "POST":
            return run_action(request, site, block, element)
        # A GET never changes anything: it offers the action's button instead.
        return show_block(request, site, block)
    return element_answer(request, site, block, element)


def element_answer(request, site, block, element):
    debug = site.apps[block.app_id].debug
    if block.is_broken:
        return HttpResponse(error_box(block, block.problems, debug))
    ctx = BlockContext(request=request, site=site, block=block)
    try:
        hook = block.function("on_display")
        if hook is not None:
            run(ctx, hook, "on_display")
        return value_response(element_value(ctx, element))
    except code.BlockCodeError as exc:
        return HttpResponse(error_box(block, [exc.problem], debug))
    except Exception as exc:  # noqa: BLE001 - a value that cannot be shown is the site builder's
        problem = Problem(
            block.yaml_path,
            element.line,
            f"cannot show element '{element.id}': {type(exc).__name__}: {exc}",
            CODE_ERROR,
        )
        return HttpResponse(error_box(block, [problem], debug))


def value_response(value):
    """A string as escaped text (markup from context.html() as it is); anything else as JSON."""
    if isinstance(value, str):
        return HttpResponse(conditional_escape(value))
    try:
        return JsonResponse(value, safe=False)
    except TypeError:
        return HttpResponse(conditional_escape(str(value)))
