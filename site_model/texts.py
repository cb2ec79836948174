"""A site text (a title, a label) written once, or once per language (contract §13).

`title: Sales` is a plain `str`: every language shows it. `title: {en: Sales, fr: Ventes}`
becomes a `Texts`: a `str` whose own value (what `==`, JSON and the API see) is the `en` text,
or the first one written, and whose `str()` and `format()` (what templates and messages show)
are the text of the active language, else the site's default language (`DEFAULT`, set per
request), else the `en` text. Imports only Django's translation functions (no settings).

A `Message` is a text of the project's own (a rule's problem, a domain error, a refusal's
reason) that is English as a `str`, which the JSON API, logs and the audit trail show, and that
a page shows in the visitor's language through `translated()`.
"""

from __future__ import annotations

import contextvars

from django.utils import translation

# The languages the project ships its own texts in (settings.LANGUAGES is built from it).
LANGUAGES = {"en": "English", "fr": "Français", "de": "Deutsch"}

# The site's default language (the first of settings.yaml `languages`) for this request.
DEFAULT = contextvars.ContextVar("site_default_language", default="en")


class Texts(str):
    """A text by language code; see the module docstring."""

    by_language: dict[str, str]
    path: str
    line: int

    def __new__(cls, by_language: dict[str, str], path: str = "", line: int = 1):
        own = by_language.get("en") or next(iter(by_language.values()), "")
        text = super().__new__(cls, own)
        text.by_language = dict(by_language)
        text.path, text.line = path, line
        return text

    def __reduce__(self):
        return (Texts, (self.by_language, self.path, self.line))

    def __str__(self) -> str:
        return self.in_language(translation.get_language() or "en")

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def in_language(self, language: str) -> str:
        for code in (language, language.split("-")[0], DEFAULT.get(), "en"):
            if code in self.by_language:
                return self.by_language[code]
        return str.__str__(self)


def text_in(value: str, language: str) -> str:
    """`value` in `language` (a plain string is the same in every language)."""
    return value.in_language(language) if isinstance(value, Texts) else str(value)


class Message(str):
    """A text the project says: English as a `str`; `translated()` in the active language.

    `Message(gettext_noop("you may not write item '%(item)s'"), item="margin")`: the template is
    marked for `makemessages` and filled with named values (a translation may reorder them);
    a value that is a `Message` or a `Texts` is translated with it."""

    template: str
    values: dict

    def __new__(cls, template: str, **values):
        english = {name: english_of(value) for name, value in values.items()}
        text = super().__new__(cls, template % english if values else template)
        text.template, text.values = template, values
        return text

    def __reduce__(self):
        return (_message, (self.template, self.values))

    def translated(self) -> str:
        said = translation.gettext(self.template)
        if not self.values:
            return said
        return said % {name: translated(value) for name, value in self.values.items()}


def _message(template: str, values: dict) -> Message:
    return Message(template, **values)


def english_of(value):
    """A `Message` or `Texts` as its own (English) `str`; any other value as it is."""
    return str.__str__(value) if isinstance(value, str) else value


def translated(value):
    """`value` as a page shows it in the active language: a `Message` translated, a `Texts` in
    that language; any other value as it is."""
    if isinstance(value, Message):
        return value.translated()
    if isinstance(value, Texts):
        return str(value)
    return value
