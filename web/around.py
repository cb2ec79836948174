"""A block with the page around it: the blocks of a page as a visitor sees them, and a refused
form shown on the page it was posted from, its problems in place (issue 20)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts import stepup
from accounts.identity import who_for
from accounts.redirects import safe_next
from blocks.context import BlockContext
from blocks.render import missing_block_box, render_block
from records import access as gate
from site_model import acl
from site_model.spec import BlockSpec, Page, Site


def holds(page: Page, block: BlockSpec) -> bool:
    return any(ref.key == block.key for ref in page.blocks)


def opens_now(request, site: Site, page: Page, who) -> bool:
    """May the visitor open `page`, and be shown it now: its view_permission, and nothing
    its or its blocks' `fresh_login` / `second_factor` ask first (as web.views.serve_page)."""
    if gate.page_verdict(page, who) is not acl.Verdict.ALLOW:
        return False
    return not stepup.need_for(request, page, *visible_blocks(site, page, who))


def holding_page(site: Site, block: BlockSpec, who, request=None) -> Page | None:
    """The first page (in navigation order) that holds `block` and that the visitor may open
    (with `request`: and be shown now, `opens_now`)."""
    for candidate in site.navigation:
        if not holds(candidate, block):
            continue
        if request is not None and opens_now(request, site, candidate, who):
            return candidate
        if request is None and gate.page_verdict(candidate, who) is acl.Verdict.ALLOW:
            return candidate
    return None


def visible_blocks(site: Site, page: Page, who) -> list[BlockSpec]:
    """The blocks of `page` the visitor may see."""
    blocks = (site.block(ref.app_id, ref.block_id) for ref in page.blocks)
    return [block for block in blocks if block is not None and gate.block_verdict(block, who)]


def page_blocks(request, site: Site, page: Page, who, next_url: str, replaced=None) -> list:
    """The HTML of each block of `page` the visitor may see, each form coming back to
    `next_url`; `replaced`, a (block, html) pair, stands for that block's first place."""
    html = []
    for ref in page.blocks:
        block = site.block(ref.app_id, ref.block_id)
        if block is None:
            problems = site.problems_at(page.yaml_path, ref.line)
            html.append(missing_block_box(ref.app_id, ref.block_id, problems))
        elif replaced is not None and block.key == replaced[0].key:
            html.append(replaced[1])
            replaced = None
        elif gate.block_verdict(block, who):
            ctx = BlockContext(request=request, site=site, block=block, page=page)
            html.append(render_block(ctx, next_url=next_url))
    return html


def page_of_refusal(request, site: Site, block: BlockSpec) -> Page | None:
    """The page a refused form is shown on: the one its `next` names when that page holds the
    block and the visitor may open it, else the first such page; None under htmx, which swaps
    the block alone into the page the visitor already has."""
    if request.htmx:
        return None
    who = who_for(request.user)
    next_url = safe_next(request)
    page = site.page_at(urlsplit(next_url).path) if next_url else None
    if page is not None and holds(page, block) and opens_now(request, site, page, who):
        return page
    return holding_page(site, block, who, request)


def refused_next(request, page: Page | None) -> str | None:
    """Where the refused form's next save comes back to: the page it is shown on (with the
    query string its `next` had), else its `next`."""
    next_url = safe_next(request)
    if page is None or (next_url and urlsplit(next_url).path == page.path):
        return next_url
    return page.path


def respond_refused(request, site: Site, block: BlockSpec, page: Page | None, html, status: int):
    """The refused form (`html`): alone under htmx; on `page` in place of the block; else on a
    page of its own, headed by the block's title, with a way back."""
    if request.htmx:
        return HttpResponse(html, status=status)
    if page is not None:
        who = who_for(request.user)
        blocks = page_blocks(request, site, page, who, refused_next(request, page), (block, html))
        return render(request, "page.html", {"page": page, "blocks": blocks}, status=status)
    back = safe_next(request)
    context = {
        "block_spec": block,
        "html": html,
        "heading": block.title or block.key,
        "back_url": back or "/",
        "back_title": _("Back") if back else _("Home page"),
    }
    return render(request, "block.html", context, status=status)
