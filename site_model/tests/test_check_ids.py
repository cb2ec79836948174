"""One check id per kind of site problem (site_model.check_ids), each listed in docs/blocks.md."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import checks
from django.core.management import call_command

from site_model.check_ids import CHECKS, MISSING_TRANSLATION, READERS_WIDER_THAN_BLOCK
from site_model.loader import current_site
from tests.sites import BLOCK, BROKEN


@pytest.mark.parametrize(("rel", "text", "check", "line"), BROKEN, ids=[b[2] for b in BROKEN])
def test_each_kind_of_problem_has_its_id(site_dir, rel, text, check, line):
    site_dir.write("pages/index.yaml", "title: Home\n")
    site_dir.write(BLOCK, "elements:\n  a: NUMBER\n")
    site_dir.write(rel, text)
    found = [(p.check, p.path, p.line) for p in current_site().problems]
    assert found == [(check, rel, line)]


# Warned by records/access_report.py (risky access set-ups), tested in
# records/tests/test_access_report.py.
ACCESS_WARNINGS = {"site.W002", "site.W003", "site.W004", "site.W005", "site.W006"}


def test_every_id_is_used_by_a_broken_file_above_or_a_warning_below():
    used = {b[2] for b in BROKEN} | {READERS_WIDER_THAN_BLOCK, MISSING_TRANSLATION}
    assert sorted(used | ACCESS_WARNINGS) == sorted(CHECKS)


def test_docs_list_every_id_with_its_hint():
    docs = (Path(django_settings.BASE_DIR) / "docs" / "blocks.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `(site\.[EW]\d{3})` \| .* \| (.*) \|$", docs, re.MULTILINE))
    assert listed == {check.id: check.hint for check in CHECKS.values()}


# --- site.W001: an app's readers wider than one of its blocks (issue 22) -----------------------

WIDE_READERS = "acl:\n  rights:\n    reader: ['*']\n    editor: [staff]\n"


def write_shop(site_dir, readers=WIDE_READERS):
    site_dir.write("apps/shop/settings.yaml", readers)
    site_dir.write(
        "apps/shop/blocks/admin.yaml", "title: Admin\nview_permission: [admins]\nelements: {}\n"
    )
    site_dir.write("apps/shop/blocks/open.yaml", "elements: {}\n")
    site_dir.write("apps/shop/blocks/signed.yaml", "view_permission: authenticated\nelements: {}\n")


def test_readers_wider_than_a_block_are_warned_at_its_view_permission(site_dir, capsys):
    write_shop(site_dir)
    site = current_site()
    assert site.problems == ()
    warned = [(w.check, w.path, w.line, w.message) for w in site.warnings]
    assert warned == [
        (
            READERS_WIDER_THAN_BLOCK,
            "apps/shop/blocks/admin.yaml",
            2,
            "view_permission of block 'shop/admin' (admins) is narrower than the readers of app "
            "'shop': *, staff may read its records through the API but not open their pages",
        ),
        (
            READERS_WIDER_THAN_BLOCK,
            "apps/shop/blocks/signed.yaml",
            1,
            "view_permission of block 'shop/signed' (authenticated) is narrower than the readers "
            "of app 'shop': * may read its records through the API but not open their pages",
        ),
    ]
    call_command("check_site")  # a warning keeps the exit status: no SystemExit
    output = capsys.readouterr()
    assert output.out == ""
    assert "warning: apps/shop/blocks/admin.yaml:2: (site.W001) view_permission" in output.err
    assert output.err.strip().endswith("The site folder has no problems.")
    # Not a Django system check: `check --deploy` reports no issue on a site meant this way.
    assert [w for w in checks.run_checks() if w.id == READERS_WIDER_THAN_BLOCK] == []


@pytest.mark.parametrize(
    "readers",
    [
        "acl:\n  rights:\n    reader: [admins]\n",  # readers inside every block
        "title: Shop\n",  # no ACL: only managers and superusers read its records
    ],
    ids=["readers-within-the-blocks", "no-acl"],
)
def test_no_warning_when_every_reader_sees_every_block(site_dir, readers):
    write_shop(site_dir, readers)
    assert current_site().warnings == ()
