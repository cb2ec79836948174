"""The gate of record access (records/access.py): the contract's order and its one denial.

The surfaces' answers (statuses, messages, the audit trail) are tested through HTTP in
test_api_rights.py, test_forms.py and test_audit.py; here the gate alone, in can/cannot pairs.
"""

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from records import access as gate
from records.errors import Denied
from records.ownership import sharing
from site_model.acl import Verdict
from site_model.loader import current_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(records_site):
    return current_site().apps["sales"]


@pytest.fixture
def mine(make_record, users):
    return make_record("sales", "mine", {"title": "a"}, author=users["author"])


def record_for(app, user, record_id, action):
    return gate.record_for(app, gate.access_to(app, user), record_id, action)


def refusal(app, user, record_id, action) -> tuple[Verdict, str]:
    with pytest.raises(Denied) as info:
        record_for(app, user, record_id, action)
    return info.value.verdict, info.value.message


@pytest.mark.parametrize("record_id", ["mine", "nope"])
def test_without_the_app_right_the_refusal_does_not_reveal_the_record(
    sales, mine, users, record_id
):
    assert refusal(sales, AnonymousUser(), record_id, "view") == (
        Verdict.LOGIN,
        "authentication required to view records of app 'sales'",
    )
    assert refusal(sales, users["stranger"], record_id, "view") == (
        Verdict.FORBID,
        "you may not view records of app 'sales'",
    )


def test_a_share_lets_one_without_the_app_right_on_and_nothing_more(sales, mine, users):
    sharing.record_share(record=mine, principal="stranger", permissions=("view",))
    granted = record_for(sales, users["stranger"], "mine", "view")
    assert granted.record == mine
    assert granted.facts.shared == frozenset({"view"})
    assert refusal(sales, users["stranger"], "mine", "edit") == (
        Verdict.FORBID,
        "you may not edit records of app 'sales'",
    )


def test_with_the_app_right_a_missing_record_is_hidden(sales, mine, users):
    assert record_for(sales, users["reader"], "mine", "view").record == mine
    assert refusal(sales, users["reader"], "nope", "view") == (
        Verdict.HIDE,
        "no record 'nope' in app 'sales'",
    )


def test_then_the_record_itself_decides(sales, mine, users):
    assert record_for(sales, users["author"], "mine", "edit").record == mine
    assert refusal(sales, users["author2"], "mine", "edit") == (
        Verdict.FORBID,
        "you may not edit records of app 'sales'",
    )


def test_a_record_a_reader_may_not_read_is_hidden(records_site, make_record, users):
    records_site.write(
        "apps/sales/settings.yaml",
        (records_site.root / "apps/sales/settings.yaml").read_text() + "  row_owners: [salesman]\n",
    )
    make_record("sales", "theirs", {"salesman": "author"})
    make_record("sales", "ours", {"salesman": "reader"})
    sales = current_site().apps["sales"]
    assert record_for(sales, users["reader"], "ours", "view").record.record_id == "ours"
    assert refusal(sales, users["reader"], "theirs", "view") == (
        Verdict.HIDE,
        "no record 'theirs' in app 'sales'",
    )


def test_require_asks_the_app_right_alone(sales, users):
    gate.require(sales, gate.access_to(sales, users["author"]), "create")
    with pytest.raises(Denied) as info:
        gate.require(sales, gate.access_to(sales, users["reader"]), "create")
    assert (info.value.verdict, info.value.message) == (
        Verdict.FORBID,
        "you may not create records of app 'sales'",
    )


def test_access_to_is_the_visitors_rights_in_the_app(sales, users):
    assert gate.access_to(sales, users["editor"]).rights == ("reader", "author", "editor")
    assert gate.access_to(sales, users["root"]).has_right("manager")
    assert gate.access_to(sales, AnonymousUser()).rights == ()
    assert gate.access_to(sales, None).rights == ()


# --- the one gate: blocks and pages too, and no surface asks the core directly (issue 22) -----

ROOT = Path(__file__).resolve().parents[2]
SURFACES = ("web", "api", "blocks")


def core_sight_calls(source: str) -> list[int]:
    """Lines of `source` that call or import the core's `can_see` (by name or attribute)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and any(a.name == "can_see" for a in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "can_see":
                lines.append(node.lineno)
    return lines


def test_the_finder_sees_every_form_of_a_direct_call():
    source = "from site_model.acl import can_see\ncan_see(a, b)\nacl.can_see(a, b)\nx.y()\n"
    assert core_sight_calls(source) == [1, 2, 3]


def test_web_api_and_blocks_ask_only_the_gate_whether_a_visitor_sees_something():
    direct = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in SURFACES
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in core_sight_calls(path.read_text())
    ]
    assert direct == []


def test_block_and_page_verdicts(sales, users):
    secret, order = sales.blocks["secret"], sales.blocks["order"]
    assert gate.block_verdict(secret, users["manager"]) is Verdict.ALLOW
    assert gate.block_verdict(secret, users["reader"]) is Verdict.FORBID
    assert gate.block_verdict(secret, AnonymousUser()) is Verdict.LOGIN
    assert gate.block_verdict(secret, users["root"]) is Verdict.ALLOW
    assert gate.block_verdict(order, AnonymousUser()) is Verdict.ALLOW
    home = current_site().page_at("/")
    assert gate.page_verdict(home, AnonymousUser()) is Verdict.ALLOW


def test_record_allows_counts_shares(sales, mine, users):
    assert gate.record_allows(sales, users["author"], mine, "edit")
    assert not gate.record_allows(sales, users["stranger"], mine, "view")
    sharing.record_share(record=mine, principal="stranger", permissions=("view",))
    assert gate.record_allows(sales, users["stranger"], mine, "view")
    assert not gate.record_allows(sales, users["stranger"], mine, "edit")
