"""settings.yaml `languages` and titles/labels by language (contract §13)."""

import pytest
from django.core.management import call_command
from django.utils import translation

from site_model.loader import current_site
from site_model.texts import Texts, text_in


def test_languages_default_to_english(site_dir):
    assert current_site().settings.languages == ("en",)


def test_languages_keep_their_order_the_first_is_the_default(site_dir):
    site_dir.write("settings.yaml", "title: Shop\nlanguages: [fr, en, de]\n")
    site = current_site()
    assert site.problems == ()
    assert site.settings.languages == ("fr", "en", "de")


def test_unknown_language_in_settings_is_an_error_at_its_line(site_dir):
    site_dir.write("settings.yaml", "title: Shop\nlanguages: [en, xx]\n")
    site = current_site()
    assert [problem.with_id() for problem in site.problems] == [
        "settings.yaml:2: (site.E019) languages: unknown language 'xx'; languages: en, fr, de"
    ]
    assert site.settings.languages == ("en",)


def test_languages_must_be_a_list(site_dir):
    site_dir.write("settings.yaml", "languages: {en: 1}\n")
    assert [problem.with_id() for problem in current_site().problems] == [
        "settings.yaml:1: (site.E003) languages must be a list of language codes, found a mapping"
    ]


SALES_BLOCK = """\
title: {en: Sales, fr: Ventes}
elements:
  amount:
    type: NUMBER
    label:
      en: Amount
      fr: Montant
      de: Betrag
"""


def test_a_title_by_language_is_shown_in_the_active_language(site_dir):
    site_dir.write("settings.yaml", "languages: [en, fr, de]\n")
    site_dir.write("apps/sales/blocks/order.yaml", SALES_BLOCK)
    block = current_site().apps["sales"].blocks["order"]
    with translation.override("fr"):
        assert str(block.title) == "Ventes"
        assert f"{block.elements[0].label}" == "Montant"
    with translation.override("de"):
        assert str(block.title) == "Sales"  # no German: the default's text
        assert str(block.elements[0].label) == "Betrag"
    assert block.title == "Sales"  # its own value (JSON, the API): the en text
    assert text_in(block.title, "fr") == "Ventes"


def test_the_default_language_text_is_the_fallback(site_dir):
    from site_model.texts import DEFAULT

    title = Texts({"fr": "Ventes", "de": "Verkäufe"})
    token = DEFAULT.set("de")
    try:
        with translation.override("en"):
            assert str(title) == "Verkäufe"
    finally:
        DEFAULT.reset(token)


def test_missing_language_is_a_warning_unknown_code_an_error(site_dir, capsys):
    site_dir.write("settings.yaml", "languages: [en, fr, de]\n")
    site_dir.write("pages/index.yaml", "title: {en: Home, fr: Accueil, es: Inicio}\n")
    site_dir.write("apps/sales/blocks/order.yaml", SALES_BLOCK)
    site = current_site()
    assert [problem.with_id() for problem in site.problems] == [
        "pages/index.yaml:1: (site.E019) title: unknown language 'es'; languages: en, fr, de"
    ]
    assert [problem.with_id() for problem in site.warnings] == [
        "pages/index.yaml:1: (site.W007) 'Home' has no text in de "
        "(the site's languages: en, fr, de)",
        "apps/sales/blocks/order.yaml:1: (site.W007) 'Sales' has no text in de "
        "(the site's languages: en, fr, de)",
    ]
    with pytest.raises(SystemExit):
        call_command("check_site")
    out, err = capsys.readouterr()
    assert "pages/index.yaml:1: (site.E019) title: unknown language 'es'" in out
    assert "warning: apps/sales/blocks/order.yaml:1: (site.W007) 'Sales' has no text in de" in err


def test_a_plain_string_needs_no_translation(site_dir):
    site_dir.write("settings.yaml", "languages: [en, fr]\n")
    site_dir.write("pages/index.yaml", "title: Home\n")
    site = current_site()
    assert site.problems == () and site.warnings == ()


CHART_BLOCK = """\
elements:
  day: {type: DATE, index_type: field}
  per_day:
    type: CHART
    group_by: day
    value: count
    title: {en: Per day, fr: Par jour, xx: Nope}
"""


def test_a_chart_title_by_language_is_checked_as_any_title(site_dir):
    site_dir.write("settings.yaml", "languages: [en, fr, de]\n")
    site_dir.write("apps/shop/blocks/days.yaml", CHART_BLOCK)
    site = current_site()
    assert [problem.with_id() for problem in site.problems] == [
        "apps/shop/blocks/days.yaml:7: (site.E019) element 'per_day' title: unknown language "
        "'xx'; languages: en, fr, de"
    ]
    assert [problem.with_id() for problem in site.warnings] == [
        "apps/shop/blocks/days.yaml:7: (site.W007) 'Per day' has no text in de "
        "(the site's languages: en, fr, de)"
    ]
    title = site.apps["shop"].blocks["days"].element("per_day").options["title"]
    assert text_in(title, "fr") == "Par jour" and str.__str__(title) == "Per day"


CHOICE_BLOCK = """\
elements:
  kind:
    type: CHOICE
    choices: [talk, party]
    choice_labels:
      talk: {en: Talk, fr: Exposé}
      party: Party
      gala: {en: Gala, fr: Gala, de: Gala}
"""


def test_choice_labels_are_texts_checked_as_any_label(site_dir):
    site_dir.write("settings.yaml", "languages: [en, fr, de]\n")
    site_dir.write("apps/shop/blocks/order.yaml", CHOICE_BLOCK)
    site = current_site()
    assert [problem.with_id() for problem in site.problems] == [
        "apps/shop/blocks/order.yaml:2: (site.E012) element 'kind': choice_labels names 'gala', "
        "which is not one of its choices (talk, party)"
    ]
    assert [problem.with_id() for problem in site.warnings] == [
        "apps/shop/blocks/order.yaml:6: (site.W007) 'Talk' has no text in de "
        "(the site's languages: en, fr, de)"
    ]
    kind = site.apps["shop"].blocks["order"].element("kind")
    assert text_in(kind.options["choice_labels"]["talk"], "fr") == "Exposé"
    with translation.override("fr"):
        assert kind.definition.choice_label(kind, "talk") == "Exposé"
        assert kind.definition.choice_label(kind, "party") == "Party"
