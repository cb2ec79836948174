"""The project's texts are translated, so that none can drift (contract §13): every msgid of
locale/*/django.po has its translation, and `makemessages` finds no new string to translate."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "locale"
SHIPPED = [code for code, _name in settings.LANGUAGES if code != "en"]


def entries(po: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each entry but the header; a plural entry's msgstr is empty
    unless every form (msgstr[0], msgstr[1]...) is written."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            if line.startswith(("msgid ", "msgstr ", "msgstr[")):
                key, _, rest = line.partition(" ")
                fields[key] = rest[1:-1]
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            forms = [value for key, value in fields.items() if key.startswith("msgstr[")]
            msgstr = fields.get("msgstr", "") or (all(forms) and forms and " | ".join(forms))
            found.append((fields["msgid"], msgstr or "", fuzzy))
    return found


@pytest.mark.parametrize("language", SHIPPED)
def test_every_message_is_translated(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    found = entries(po)
    assert len(found) > 50
    assert [msgid for msgid, msgstr, fuzzy in found if not msgstr or fuzzy] == []


def test_makemessages_finds_nothing_new(tmp_path, settings):
    """`make messages` run now would add no string: every text of ours is in the catalogues."""
    for language in SHIPPED:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(LOCALE / language / "LC_MESSAGES" / "django.po", target / "django.po")
    settings.LOCALE_PATHS = [tmp_path]
    cwd = os.getcwd()
    os.chdir(settings.BASE_DIR)
    try:
        call_command(
            "makemessages",
            locale=SHIPPED,
            no_location=True,
            ignore_patterns=["tests/*", "*/tests/*", "bench/*", "docs/*", "*/static/*"],
            verbosity=0,
        )
    finally:
        os.chdir(cwd)
    for language in SHIPPED:
        po = tmp_path / language / "LC_MESSAGES" / "django.po"
        untranslated = [msgid for msgid, msgstr, fuzzy in entries(po) if not msgstr or fuzzy]
        assert untranslated == [], language
