"""Filters for the account pages' fields (templates/accounts/field.html): allauth's forms in the
site's style, with sentence-case labels and no placeholder repeating the label."""

import copy
import re

from django import template

register = template.Library()

TITLE_WORD = re.compile(r"(?<=\s)([A-Z])(?=[a-z]+\b)")


@register.filter
def sentence_case(label) -> str:
    """'New Password (again)' -> 'New password (again)'; capitalised words after the first are
    lowered, all-capital ones (API, TOTP) kept."""
    return TITLE_WORD.sub(lambda match: match.group(1).lower(), str(label))


@register.filter
def without_placeholder(field):
    """The field's widget without a placeholder that repeats its label (allauth's do): the
    label above it says the same. A placeholder that adds something ("Username or email" under
    "Login") stays."""
    widget = field.field.widget
    placeholder = str(widget.attrs.get("placeholder", ""))
    if placeholder.lower() != str(field.label).lower():
        return field.as_widget()
    widget = copy.copy(widget)
    widget.attrs = {k: v for k, v in widget.attrs.items() if k != "placeholder"}
    return field.as_widget(widget=widget)
