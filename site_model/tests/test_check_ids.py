"""One check id per kind of site problem (site_model.check_ids), each listed in docs/blocks.md."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from site_model.check_ids import CHECKS
from site_model.loader import current_site

BLOCK = "apps/demo/blocks/hello.yaml"

# One broken file per id: (file, text, the id of its one problem, its line).
BROKEN = [
    (BLOCK, "elements: [\n", "site.E001", 2),
    (BLOCK, "elemnts: {}\n", "site.E002", 1),
    (BLOCK, "title: [a, b]\n", "site.E003", 1),
    (BLOCK, "elements:\n  a: {type: NOPE}\n", "site.E004", 2),
    (BLOCK, "elements:\n  1a: TEXT\n", "site.E005", 2),
    (BLOCK, "title: a\ntitle: b\n", "site.E006", 2),
    (BLOCK, "elements:\n  a: {label: A}\n", "site.E007", 2),
    (BLOCK, "elements:\n  actions: TEXT\n", "site.E008", 2),
    (BLOCK, "title_element: nope\nelements:\n  a: TEXT\n", "site.E009", 1),
    (BLOCK, "elements:\n  a: BASIC\n", "site.E010", 2),
    ("apps/demo/blocks/hello.py", "def (:\n", "site.E011", 1),
    (BLOCK, "elements:\n  a: {type: NUMBER, min: 3, max: 1}\n", "site.E012", 2),
    (BLOCK, "elements:\n  a: {type: TEXT, min: 3}\n", "site.E013", 2),
    ("pages/other.yaml", "path: /\n", "site.E014", 1),
    ("apps/demo/blocks/other.yaml", "elements:\n  a: TEXT\n", "site.E015", 2),
    (
        "settings.yaml",
        "auth:\n  ldap: {server: 'x', user_search: {base: b, filter: '(u=%(user)s)'}}\n",
        "site.E016",
        2,
    ),
    ("apps/demo/blocks/lonely.html", "<p></p>\n", "site.E017", 1),
    ("pages/other.yaml", "path: other\n", "site.E018", 1),
]


@pytest.mark.parametrize(("rel", "text", "check", "line"), BROKEN, ids=[b[2] for b in BROKEN])
def test_each_kind_of_problem_has_its_id(site_dir, rel, text, check, line):
    site_dir.write("pages/index.yaml", "title: Home\n")
    site_dir.write(BLOCK, "elements:\n  a: NUMBER\n")
    site_dir.write(rel, text)
    found = [(p.check, p.path, p.line) for p in current_site().problems]
    assert found == [(check, rel, line)]


def test_every_id_is_used_by_a_broken_file_above():
    assert sorted({b[2] for b in BROKEN}) == sorted(CHECKS)


def test_docs_list_every_id_with_its_hint():
    docs = (Path(django_settings.BASE_DIR) / "docs" / "blocks.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(site\.E\d{3})` \| .* \| (.*) \|$", docs, re.MULTILINE))
    assert listed == {check.id: check.hint for check in CHECKS.values()}
