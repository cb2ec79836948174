"""The JSON Schema of the site files (site_model.schema): the demo and the test fixtures pass it,
what the loader refuses in one file it refuses too, and it is served and written."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from django.conf import settings as django_settings
from django.core.management import call_command

from site_model.loader import current_site
from site_model.schema import GLOBS, MODELS, site_schema
from tests.sites import BLOCK, BROKEN

DEMO = Path(django_settings.BASE_DIR)


def kind_of(rel: str) -> str:
    """settings.yaml, pages/x.yaml, apps/x/settings.yaml, apps/x/blocks/x.yaml: by depth."""
    return list(GLOBS)[len(Path(rel).parts) - 1]


def schema_problems(root: Path, rel: str) -> list[str]:
    """What a JSON Schema validator (as an editor runs one) says of one file of the folder."""
    data = yaml.safe_load((root / rel).read_text(encoding="utf-8"))
    # As an editor reads YAML: a date is the text it is written as.
    data = json.loads(json.dumps(data if data is not None else {}, default=str))
    validator = jsonschema.Draft202012Validator(
        site_schema(kind_of(rel)), format_checker=jsonschema.FormatChecker()
    )
    return [error.message for error in validator.iter_errors(data)]


def yaml_files(root: Path) -> list[str]:
    return sorted(
        str(path.relative_to(root)) for glob in GLOBS.values() for path in root.glob(glob)
    )


def test_every_demo_file_passes_its_schema_and_names_it():
    files = yaml_files(DEMO)
    assert len(files) > 20
    for rel in files:
        assert schema_problems(DEMO, rel) == [], rel
        first_line = (DEMO / rel).read_text(encoding="utf-8").splitlines()[0]
        assert first_line == (
            "# yaml-language-server: "
            f"$schema=http://127.0.0.1:8000/api/v1/site-schema/{kind_of(rel)}.json"
        )


def test_every_fixture_file_passes_its_schema(owned_app, events_site):
    root = Path(django_settings.SITE_DIR)
    files = yaml_files(root)
    assert {kind_of(rel) for rel in files} == set(MODELS)
    assert current_site().problems == ()
    for rel in files:
        assert schema_problems(root, rel) == [], rel


# What a schema cannot see: another file (E009 to a block elsewhere, E010, E011, E014, E015,
# E017), a duplicate key (E006: JSON has none), the order of min and max (E012), bad YAML (E001).
ONE_FILE_KINDS = {"site.E002", "site.E003", "site.E004", "site.E005", "site.E007"}
ONE_FILE_KINDS |= {"site.E008", "site.E013", "site.E016", "site.E018"}
ONE_FILE = [case for case in BROKEN if case[2] in ONE_FILE_KINDS]


@pytest.mark.parametrize(("rel", "text", "check", "line"), ONE_FILE, ids=[c[2] for c in ONE_FILE])
def test_a_file_the_loader_refuses_the_schema_refuses(site_dir, rel, text, check, line):
    site_dir.write("pages/index.yaml", "title: Home\n")
    site_dir.write(BLOCK, "elements:\n  a: NUMBER\n")
    if (site_dir.root / rel).exists():
        assert schema_problems(site_dir.root, rel) == []
    site_dir.write(rel, text)
    assert [p.check for p in current_site().problems] == [check]
    assert schema_problems(site_dir.root, rel) != []


def test_every_kind_of_one_file_problem_is_covered():
    assert {case[2] for case in ONE_FILE} == ONE_FILE_KINDS


def test_the_schemas_are_served_to_anyone(client, db):
    for kind in MODELS:
        response = client.get(f"/api/v1/site-schema/{kind}.json")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/schema+json"
        assert response.json() == {
            **json.loads(json.dumps(site_schema(kind))),
            "$id": f"http://testserver/api/v1/site-schema/{kind}.json",
        }
    response = client.get("/api/v1/site-schema/nope.json")
    assert response.status_code == 404
    assert response.json() == {
        "error": "no site schema 'nope'; kinds: site-settings, page, app-settings, block"
    }


def test_the_command_writes_one_schema_per_kind(tmp_path, capsys):
    call_command("site_schema", str(tmp_path / "schema"))
    written = {path.stem: json.loads(path.read_text()) for path in (tmp_path / "schema").iterdir()}
    assert written == {kind: json.loads(json.dumps(site_schema(kind))) for kind in MODELS}
    call_command("site_schema")
    assert set(json.loads(capsys.readouterr().out)) == set(MODELS)
