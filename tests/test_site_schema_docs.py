"""`manage.py site_schema --docs` rewrites docs/blocks.md's tables of YAML keys from the models
(issue 23; site_model/tests/test_key_tables.py checks the docs hold them)."""

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs" / "blocks.md"


def test_the_command_rewrites_a_stale_table(tmp_path, monkeypatch):
    from django.core.management import call_command

    from blocks.management.commands import site_schema

    stale = DOCS.read_text().replace("| `target` | `ajax` | nothing |\n", "")
    copy = tmp_path / "blocks.md"
    copy.write_text(stale)
    monkeypatch.setattr(site_schema, "DOCS", copy)
    call_command("site_schema", "--docs")
    assert copy.read_text() == DOCS.read_text() != stale
