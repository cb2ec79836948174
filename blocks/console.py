"""`context.app.log()` in the browser console, on apps with `debug: true`.

A rendering of a block shows its own messages with the block. Block code that renders nothing
(an ACTION, `on_save`, `on_delete`, a formula) logs into the request's queue: the next block
rendered in this request shows them (the block an ajax action swaps in), and when the answer
is a redirect, the session carries them to the page after it. The messages are JSON in a
`<script type="application/json" class="console-log">`, which base.html's script prints, on
page load and on every block swapped in.
"""

from __future__ import annotations

import json

from django.utils.safestring import SafeString

SESSION_KEY = "_console_log"
KEPT = 100  # messages carried across a redirect at most: a loop of logs cannot grow a session


def queue(request) -> list:
    """This request's messages of block code that rendered nothing: (block key, message)."""
    if request is None:
        return []
    if not hasattr(request, "_console_log"):
        request._console_log = []
    return request._console_log


def drain(request) -> list:
    """The messages waiting to be shown: carried by the session, then this request's."""
    if request is None:
        return []
    session = getattr(request, "session", None)
    carried = session.pop(SESSION_KEY, []) if session is not None and SESSION_KEY in session else []
    waiting = queue(request)
    found = [*carried, *waiting]
    waiting.clear()
    return found


def json_for_script(value) -> str:
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def script(messages: list) -> str:
    if not messages:
        return ""
    return SafeString(
        f'<script type="application/json" class="console-log">{json_for_script(messages)}</script>'
    )


class ConsoleLogMiddleware:
    """Messages still waiting when the answer is a redirect go to the page after it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        waiting = getattr(request, "_console_log", None)
        redirect = response.status_code in (301, 302, 303, 307, 308) or response.has_header(
            "HX-Redirect"
        )
        session = getattr(request, "session", None)
        if waiting and redirect and session is not None:
            session[SESSION_KEY] = [*session.get(SESSION_KEY, []), *waiting][-KEPT:]
        return response
