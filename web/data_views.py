"""An app's data page (contract §9), `/apps/<app>/data/`: its readers download the records
(the export route of the API), its authors import a file: a dry run first, its problems in a
table, then the import itself, each a job whose progress fills a bar. The page's script speaks
to the JSON API (`/api/v1/<app>/import`, `/api/v1/jobs/<id>`) with the session and its CSRF
token; the checks and the writes are the API's and the records layer's."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from records import access as gate
from records.errors import Denied
from site_model.acl import Verdict
from site_model.loader import current_site

from .responses import failed


@ensure_csrf_cookie
def data_view(request, app_id: str):
    app = current_site().apps.get(app_id)
    if app is None:
        raise Http404(f"no app '{app_id}'")
    access = gate.access_to(app, request.user)
    try:
        gate.require(app, access, "view")
    except Denied as exc:
        return failed(request, exc)
    blocks = [
        block_id
        for block_id, block in sorted(app.blocks.items())
        if any(element.is_input for element in block.elements)
        and gate.block_verdict(block, access.who) is Verdict.ALLOW
    ]
    context = {
        "app": app,
        "may_import": access.can("create") is Verdict.ALLOW,
        "blocks": blocks,
        "formats": ("csv", "json", "xlsx"),
    }
    return render(request, "data.html", context)
