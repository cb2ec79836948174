"""Block layouts: `<block>.html` files compiled as Django templates with auto-escaping.

The engine runs with `debug=True` so that syntax and render errors carry their line
(`exc.template_debug["line"]`); it is separate from the project's engine so that a block
layout cannot reach the site chrome's templates.
"""

from __future__ import annotations

from pathlib import Path

from django.template import Engine, Template, TemplateSyntaxError

from . import check_ids as ids
from .spec import Problem

ENGINE = Engine(
    debug=True,
    autoescape=True,
    string_if_invalid="",
    # {% translate %} with the site's SITE_DIR/locale/ catalogues, and localize (contract §13).
    libraries={"i18n": "django.templatetags.i18n", "l10n": "django.templatetags.l10n"},
)


def compile_layout(path: Path, rel_path: str):
    """Returns (Template or None, problems)."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(rel_path, 1, f"cannot read file: {exc}", ids.BAD_YAML)]
    try:
        return Template(source, origin=None, name=rel_path, engine=ENGINE), []
    except TemplateSyntaxError as exc:
        return None, [
            Problem(rel_path, template_line(exc), f"template error: {exc}", ids.CODE_ERROR)
        ]


def template_line(exc: Exception) -> int:
    debug = getattr(exc, "template_debug", None)
    return debug["line"] if debug else 1
