"""`manage.py access_report` and the risky set-ups `check_site` warns about (contract §10)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from records import access_report
from site_model.loader import current_site

pytestmark = pytest.mark.django_db

CRM = """\
title: CRM
acl:
  rights:
    reader: ['*']
    author: [authenticated]
    manager: [bosses]
  roles:
    east: [ann]
    ann: [bob]
    lead: [cat]
  row_owners: [owner]
"""
NOTES = """\
acl:
  rights:
    reader: [authenticated]
    author: [authenticated]
"""


@pytest.fixture
def crm(site_dir, user_factory):
    site_dir.write("apps/crm/settings.yaml", CRM)
    site_dir.write("apps/crm/blocks/deal.yaml", "elements:\n  owner: TEXT\n")
    site_dir.write(
        "apps/crm/blocks/boss.yaml", "view_permission: [bosses]\nelements:\n  note: TEXT\n"
    )
    site_dir.write("apps/notes/settings.yaml", NOTES)
    site_dir.write("apps/notes/blocks/note.yaml", "elements:\n  text: TEXT\n")
    user_factory("ann", groups=["east"])
    return site_dir


W002 = (
    "apps/crm/settings.yaml:4: (site.W002) app 'crm' has row_owners (owner) and '*' may read: "
    "anonymous visitors own no row, so they read none, and each signed-in reader reads only "
    "their own"
)
W003 = (
    "apps/notes/settings.yaml:4: (site.W003) app 'notes' has an author right (authenticated) "
    "and no row_owners: every author edits and deletes only the records they wrote, but reads "
    "every record"
)
W004_EAST = (
    "apps/crm/settings.yaml:8: (site.W004) role 'east' of app 'crm' has the name of a group: "
    "an owner value 'east' names both"
)
W004_ANN = (
    "apps/crm/settings.yaml:9: (site.W004) role 'ann' of app 'crm' has the name of a user: "
    "an owner value 'ann' names both"
)


def test_the_report_prints_rights_roles_row_owners_field_rules_blocks_and_flags(crm):
    out = StringIO()
    call_command("access_report", "crm", stdout=out)
    assert out.getvalue().splitlines() == [
        "app crm (apps/crm/settings.yaml)",
        "  rights:",
        "    reader: *",
        "    author: authenticated",
        "    manager: bosses, superusers",
        "  roles:",
        "    east: ann",
        "    ann: bob",
        "    lead: cat",
        "  row owners: owner",
        "  field rules: none",
        "  blocks:",
        "    crm/boss: view_permission bosses",
        "    crm/deal: view_permission *",
        "warnings:",
        f"  {W002}",
        f"  {W004_EAST}",
        f"  {W004_ANN}",
    ]
    every = StringIO()
    call_command("access_report", stdout=every)
    assert "app notes (apps/notes/settings.yaml)" in every.getvalue()
    assert f"  {W003}" in every.getvalue().splitlines()
    with pytest.raises(CommandError, match=r"^no app 'nope' in the site; apps: crm, notes$"):
        call_command("access_report", "nope")


def test_check_site_warns_of_the_same_at_their_lines_and_keeps_its_exit_status(crm, capsys):
    call_command("check_site")  # no SystemExit: warnings only
    err = capsys.readouterr().err.splitlines()
    for flag in (W002, W003, W004_EAST, W004_ANN):
        assert f"warning: {flag}" in err
    assert err[-1] == "The site folder has no problems."


def test_a_set_up_without_risk_is_not_flagged(site_dir, user_factory):
    site_dir.write(
        "apps/crm/settings.yaml",
        "acl:\n  rights:\n    reader: [authenticated]\n    author: [authenticated]\n"
        "  roles:\n    lead: [ann]\n  row_owners: [owner]\n",
    )
    user_factory("ann", groups=["east"])
    assert access_report.risky_setups(current_site()) == []


def test_a_field_rule_naming_nobody_is_flagged(crm):
    crm.write("apps/crm/blocks/deal.yaml", "elements:\n  owner: TEXT\n  salary: NUMBER\n")
    crm.write(
        "apps/crm/settings.yaml",
        CRM
        + "  fields:\n    salary: {read: [bosses, ann, lead, nobody, '*', bo@example.com], "
        + "write: [ghosts]}\n",
    )
    flagged = [
        p.message for p in access_report.risky_setups(current_site()) if p.check == "site.W005"
    ]
    assert flagged == [
        "the field rule of item 'salary' in app 'crm' names 'bosses', who is no user, group or "
        "role",
        "the field rule of item 'salary' in app 'crm' names 'nobody', who is no user, group or "
        "role",
        "the field rule of item 'salary' in app 'crm' names 'ghosts', who is no user, group or "
        "role",
    ]
