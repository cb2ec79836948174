"""One check id per kind of site problem (site_model.check_ids), each listed in docs/blocks.md."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from site_model.check_ids import CHECKS
from site_model.loader import current_site
from tests.sites import BLOCK, BROKEN


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
