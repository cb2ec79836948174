"""Adding an element type is one class: COLOR, defined here alone, works in the block form, the
API, search, the OpenAPI document, the site schema and check_site, with no other change."""

import ast
import re
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command

from records.models import Record
from site_model.elements import TYPES, Input, register
from site_model.schema import site_schema
from tests.helpers import ids


class Color(Input):
    """A colour as #rrggbb, in lower case."""

    name = "COLOR"
    json_type = {"type": "string", "pattern": "^#[0-9a-f]{6}$"}
    sort_columns = ("text",)

    def parse(self, element, value):
        if not (isinstance(value, str) and re.fullmatch(r"#[0-9a-f]{6}", value)):
            raise ValueError(f"COLOR takes #rrggbb, found {value!r}")
        return value


@pytest.fixture
def color_site(site_dir):
    register(Color)
    site_dir.write(
        "apps/paint/settings.yaml",
        "acl:\n  rights:\n    reader: ['*']\n    author: [authenticated]\n",
    )
    site_dir.write(
        "apps/paint/blocks/swatch.yaml",
        "elements:\n  name: TEXT\n  shade: {type: COLOR, index_type: field, required: true}\n",
    )
    yield site_dir
    del TYPES["COLOR"]


@pytest.fixture
def ann(api_client, user_factory, color_site):
    return api_client(user_factory("ann"))


def test_check_site_takes_it_and_its_keys(color_site, capsys):
    call_command("check_site")
    color_site.write("apps/paint/blocks/swatch.yaml", "elements:\n  shade: {type: COLOR, min: 1}\n")
    with pytest.raises(SystemExit):
        call_command("check_site")
    assert capsys.readouterr().out.splitlines() == [
        "apps/paint/blocks/swatch.yaml:2: (site.E013) element 'shade': min applies only to "
        "NUMBER, DATETIME, DATE elements"
    ]


def test_the_block_form_shows_it_and_checks_it(ann):
    html = ann.get("/apps/paint/blocks/swatch/").content.decode()
    assert '<input type="text" name="shade" id="f-paint-swatch-shade" value="" required>' in html
    refused = ann.post("/apps/paint/blocks/swatch/", {"_save": "1", "shade": "red"})
    assert refused.status_code == 400
    assert "Shade: COLOR takes #rrggbb, found &#x27;red&#x27;." in refused.content.decode()
    saved = ann.post("/apps/paint/blocks/swatch/", {"_save": "1", "shade": "#ff0000"})
    assert saved.status_code == 302
    assert Record.objects.get().items["shade"] == "#ff0000"


def test_the_api_checks_it_and_search_finds_it(ann):
    refused = ann.post_json("/api/v1/paint/records", [{"shade": "red"}])
    assert refused.status_code == 400
    assert "item 'shade': type: COLOR takes #rrggbb, found 'red'" in refused.json()["error"]
    rows = [{"id": "a", "shade": "#ff0000"}, {"id": "b", "shade": "#00ff00"}]
    created = ann.post_json("/api/v1/paint/records", rows)
    assert created.status_code == 201, created.content
    found = ann.post_json("/api/v1/paint/search", {"query": "shade == '#00ff00'"})
    assert ids(found) == ["b"]


def test_openapi_and_the_site_schema_describe_it(ann):
    openapi = ann.get("/api/v1/paint/openapi.json").json()
    assert '"pattern": "^#[0-9a-f]{6}$"' in str(openapi).replace("'", '"')
    block_schema = site_schema("block")
    valid = {"elements": {"shade": {"type": "COLOR", "required": True, "index_type": "field"}}}
    jsonschema.validate(valid, block_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"elements": {"shade": {"type": "COLOR", "min": 1}}}, block_schema)


def test_its_widget_template_is_overridden_from_the_site_folder(ann, color_site):
    color_site.write(
        "templates/elements/input.html",
        '{% extends "elements/field.html" %}{% block control %}'
        '<input type="color" name="{{ name }}" id="{{ field_id }}" value="{{ value }}">'
        "{% endblock %}",
    )
    html = ann.get("/apps/paint/blocks/swatch/").content.decode()
    assert (
        '<span class="field"><label for="f-paint-swatch-shade">Shade</label>'
        '<input type="color" name="shade" id="f-paint-swatch-shade" value=""></span>'
    ) in html


def test_no_module_outside_the_registry_branches_on_a_type_name():
    """A comparison with a type's name (`== "FILE"`, `in ("NUMBER", "DATE")`) outside
    site_model/elements.py would be a type's behaviour kept away from its definition.
    Migrations are history: they keep what the types were when they were written."""
    root = Path(__file__).resolve().parent.parent
    names = set(TYPES)
    found = []
    for package in ("site_model", "blocks", "web", "api", "records"):
        for path in (root / package).rglob("*.py"):
            skipped = {"tests", "migrations"} & set(path.parts)
            if skipped or path == root / "site_model" / "elements.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Compare) and names & literals(node):
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    assert found == []


def literals(node: ast.Compare) -> set[str]:
    strings = set()
    for part in ast.walk(node):
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            strings.add(part.value)
    return strings
