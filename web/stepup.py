"""A fresh sign-in and a step-up second factor on the HTML surface (contract §11).

`first(request, *specs, action=None)` is None when the visitor may go on, else the answer that
sends them to do what `accounts.stepup.need_for` says first, then back. A GET goes to the
sign-in, set-up or code page (`?next=` back). A POST that wants a code is answered with a
code prompt that posts the same fields back to the same path with the code: the code is
checked there (the limits and audit of accounts.stepup.step_up) and the post goes on, so an
ACTION runs once the code is right, without a GET that changes anything.
"""

from __future__ import annotations

from django.shortcuts import render
from django_htmx.http import HttpResponseClientRedirect

from accounts import otp, stepup
from accounts.redirects import safe_next

from .responses import go

CODE_FIELD = "_second_factor_code"
# Fields the prompt does not carry over: the CSRF token is its own, the code is new.
NOT_CARRIED = frozenset({"csrfmiddlewaretoken", CODE_FIELD})


def first(request, *specs, action=None):
    needed = stepup.need_for(request, *specs, action=action)
    if not needed:
        return None
    if needed is stepup.Need.CODE and request.method == "POST":
        block = next(spec for spec in specs if hasattr(spec, "app_id"))
        return code_in_post(request, block)
    return send(request, needed)


def before_block(request, block, element=None):
    """`first` for a route of `block`: on a POST, the ACTION it runs counts too (`element`
    on an element route, else the action the post names, as the block route reads it)."""
    action = None
    if request.method == "POST":
        if element is not None:
            action = element if element.is_action else None
        else:
            action = next((e for e in block.actions if e.id in request.POST), None)
    return first(request, block, action=action)


def send(request, needed: stepup.Need):
    """To the page that does what `needed` says, then back here (a POST: back to its `next`)."""
    if needed is stepup.Need.REFUSED:  # not on the HTML surface: no Basic or Bearer here
        needed = stepup.Need.LOGIN
    if request.htmx:
        back = request.htmx.current_url_abs_path or "/"
        return HttpResponseClientRedirect(stepup.url_for(needed, back))
    back = (
        request.get_full_path() if request.method == "GET" else safe_next(request) or request.path
    )
    return go(request, stepup.url_for(needed, back))


def code_in_post(request, block):
    """None when the post carries a right code; else the prompt (again, with the refusal)."""
    code = request.POST.get(CODE_FIELD)
    if code is None:
        return prompt(request, block)
    try:
        stepup.step_up(request.user, code, request=request)
    except otp.CodeRefused as refused:
        return prompt(request, block, str(refused), status=429 if refused.too_many else 400)
    return None


def prompt(request, block, error: str = "", status: int = 200):
    """The code prompt in the block's place: alone under htmx (a `target: ajax` block swaps
    it in, as it swaps the block), else on a page of its own. Its form is a plain post."""
    carried = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in NOT_CARRIED
        for value in values
    ]
    context = {
        "action": request.path,
        "carried": carried,
        "error": error,
        "field": CODE_FIELD,
        "block": block,
    }
    template = "step_up_prompt.html" if request.htmx else "step_up_page.html"
    return render(request, template, context, status=status)
