"""`acl.fields` in an app's settings.yaml (contract §10): parsed into the ACL, each mistake at
its file and line with its check id; the rule itself is the core's (site_model.acl)."""

import pytest

from site_model.acl import AclRules, FieldRule, Who, access_for, unwritable_item
from site_model.loader import current_site

SETTINGS = "apps/shop/settings.yaml"
RIGHTS = "acl:\n  rights:\n    reader: [authenticated]\n  roles:\n    leads: [ann]\n"


@pytest.fixture
def shop(site_dir):
    site_dir.write("apps/shop/blocks/item.yaml", "elements:\n  price: NUMBER\n  margin: NUMBER\n")
    return site_dir


def test_rules_are_parsed(shop):
    shop.write(
        SETTINGS,
        RIGHTS + "  fields:\n    margin: {read: [admins, leads], write: admins}\n    price: {}\n",
    )
    site = current_site()
    assert site.problems == () and site.warnings == ()
    assert site.apps["shop"].acl.fields == {
        "margin": FieldRule(read=("admins", "leads"), write=("admins",)),
        "price": FieldRule(),
    }


@pytest.mark.parametrize(
    ("fields", "check", "line", "message"),
    [
        (
            "    cost: {read: [admins]}\n",
            "site.E009",
            7,
            "acl.fields: no element of app 'shop' declares an item 'cost'; items: margin, price",
        ),
        (
            "    margin: {read: 3}\n",
            "site.E003",
            7,
            "acl.fields.margin.read must be a list of principals or one string of names, "
            "found a number",
        ),
        (
            "    margin: {see: [admins]}\n",
            "site.E002",
            7,
            "unknown key 'see' in acl.fields.margin; allowed: read, write",
        ),
        (
            "    margin: [admins]\n",
            "site.E003",
            7,
            "acl.fields.margin must be a mapping, found a list",
        ),
        (
            "    2cost: {}\n",
            "site.E005",
            7,
            "acl.fields: item '2cost' must match [A-Za-z][A-Za-z0-9_-]*",
        ),
    ],
    ids=["unknown-item", "not-principals", "unknown-key", "not-a-mapping", "bad-id"],
)
def test_a_broken_rule_is_named_at_its_line(shop, fields, check, line, message):
    shop.write(SETTINGS, RIGHTS + "  fields:\n" + fields)
    found = [(p.check, p.path, p.line, p.message) for p in current_site().problems]
    assert found == [(check, SETTINGS, line, message)]


# --- the core -----------------------------------------------------------------------------------

RULES = AclRules(
    rights={"reader": ("*",), "author": ("authenticated",)},
    roles={"leads": ("ann",)},
    fields={
        "margin": FieldRule(read=("admins", "leads")),
        "note": FieldRule(write=("admins",)),
        "code": FieldRule(read=(), write=("*",)),
    },
)


@pytest.mark.parametrize(
    ("who", "hidden", "unwritable"),
    [
        (Who(), {"margin", "code"}, {"margin", "code", "note"}),
        (Who("bob"), {"margin", "code"}, {"margin", "code", "note"}),
        (Who("ann"), {"code"}, {"code", "note"}),  # by the role leads
        (Who("eve", groups=frozenset({"admins"})), {"code"}, {"code"}),
        (Who("root", is_superuser=True), set(), set()),
    ],
)
def test_who_reads_and_writes_which_item(who, hidden, unwritable):
    access = access_for(RULES, who)
    assert access.hidden_items == hidden
    assert access.unwritable_items == unwritable


def test_no_rules_no_cost():
    access = access_for(AclRules(rights={"reader": ("*",)}), Who("bob"))
    assert access.hidden_items == frozenset() and access.unwritable_items == frozenset()
    assert unwritable_item(access, {"anything": 1}, None) is None


def test_a_write_is_refused_as_the_rules_say():
    bob = access_for(RULES, Who("bob"))
    assert unwritable_item(bob, {"price": 1, "margin": None}, {"margin": 5}) == "margin"
    assert unwritable_item(bob, {"note": "x"}, {"note": "x"}) is None  # sent again, unchanged
    assert unwritable_item(bob, {"note": "y"}, {"note": "x"}) == "note"
    assert unwritable_item(bob, {"note": ""}, None) is None  # an empty field of a new record
    assert unwritable_item(bob, {"note": "y"}, None) == "note"
