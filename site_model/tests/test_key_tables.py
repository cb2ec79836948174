"""The docs' tables of YAML keys are the models' (issue 23): docs/blocks.md holds exactly what
`manage.py site_schema --docs` writes, so a key added to site_model/schema.py (or to an element
type's `yaml_keys`) without rewriting the docs fails here."""

from pathlib import Path

from site_model import key_tables
from site_model.schema import BlockFile

DOCS = Path(__file__).resolve().parents[2] / "docs" / "blocks.md"


def test_the_docs_tables_are_what_the_models_give():
    text = DOCS.read_text()
    for name, table in key_tables.tables().items():
        assert key_tables.section(name, table) in text, f"run manage.py site_schema --docs ({name})"
    assert key_tables.written(text) == text


def test_a_key_the_docs_lack_is_found(monkeypatch):
    fields = dict(BlockFile.model_fields)
    monkeypatch.setattr(BlockFile, "model_fields", {**fields, "colour": fields["title"]})
    monkeypatch.setattr(
        key_tables, "site_schema", lambda kind: _with_colour(key_tables.MODELS, kind)
    )
    table = key_tables.tables()["block"]
    assert "| `colour` | string or number or a mapping | nothing |" in table
    assert key_tables.section("block", table) not in DOCS.read_text()


def _with_colour(models, kind):
    from site_model.schema import site_schema

    schema = site_schema(kind)
    schema["properties"]["colour"] = schema["properties"]["title"]
    return schema
