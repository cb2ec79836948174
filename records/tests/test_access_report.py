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


# --- site.W006: a principal made of a profile value users choose themselves ------------------

CHOSEN_SETTINGS = """\
title: Test site
users:
  fields:
    team: {type: CHOICE, choices: [east, west]}
    desk: {type: CHOICE, choices: [a, b]}
  self_edit: [team]
"""
CHOSEN_APP = """\
acl:
  rights:
    reader: [authenticated]
    author: [team:east, desk:a]
  roles:
    lead: [team:west]
  row_owners: [owner]
  fields:
    margin: {read: [team:east], write: [desk:b]}
on_create:
  owner: profile.team
  copy: profile.team
"""


@pytest.fixture
def chosen(site_dir):
    site_dir.write("settings.yaml", CHOSEN_SETTINGS)
    site_dir.write("apps/crm/settings.yaml", CHOSEN_APP)
    site_dir.write(
        "apps/crm/blocks/deal.yaml",
        "view_permission: [team:east]\nelements:\n  owner: TEXT\n  copy: TEXT\n  margin: NUMBER\n",
    )
    site_dir.write("pages/east.yaml", "title: East\nview_permission: [desk:a, team:west]\n")
    return site_dir


W006 = [
    "apps/crm/settings.yaml:4: (site.W006) the author right of app 'crm' names 'team:east', but "
    "users set their own 'team' (users.self_edit): anyone may give themselves that value",
    "apps/crm/settings.yaml:6: (site.W006) role 'lead' of app 'crm' names 'team:west', but "
    "users set their own 'team' (users.self_edit): anyone may give themselves that value",
    "apps/crm/settings.yaml:9: (site.W006) the field rule of item 'margin' in app 'crm' names "
    "'team:east', but users set their own 'team' (users.self_edit): anyone may give themselves "
    "that value",
    "apps/crm/settings.yaml:11: (site.W006) owner item 'owner' of app 'crm' (on_create: "
    "profile.team) names 'team:<value>', but users set their own 'team' (users.self_edit): "
    "anyone may give themselves that value",
    "apps/crm/blocks/deal.yaml:1: (site.W006) the view_permission of block 'crm/deal' names "
    "'team:east', but users set their own 'team' (users.self_edit): anyone may give themselves "
    "that value",
    "pages/east.yaml:2: (site.W006) the view_permission of page '/east/' names 'team:west', but "
    "users set their own 'team' (users.self_edit): anyone may give themselves that value",
]


def test_a_self_edit_field_used_as_a_principal_is_flagged_where_it_is_used(chosen, capsys):
    """`desk` is set by user managers alone: its principals are not flagged; nor is `copy`,
    which on_create fills from `team` but which is no owner item."""
    flagged = [p.with_id() for p in access_report.risky_setups(current_site())]
    assert [f for f in flagged if "site.W006" in f] == W006
    call_command("check_site")
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "site.W006" in line] == [f"warning: {w}" for w in W006]
    out = StringIO()
    call_command("access_report", "crm", stdout=out)
    assert [line for line in out.getvalue().splitlines() if "site.W006" in line] == [
        f"  {w}" for w in W006
    ]


def test_without_self_edit_nothing_is_flagged(chosen):
    chosen.write("settings.yaml", CHOSEN_SETTINGS.replace("self_edit: [team]", "self_edit: []"))
    assert [p for p in access_report.risky_setups(current_site()) if p.check == "site.W006"] == []
