"""Preview as (contract §10): `/preview/<username>/<page path>` shows a page exactly as that
user is served it, to a manager of every app of the page (or a superuser); nothing writes."""

from __future__ import annotations

import html
import re

import pytest

from accounts.models import SecurityEvent
from records import store
from records.models import Record
from site_model.loader import current_site
from tests.helpers import new_client
from web import preview

pytestmark = pytest.mark.django_db

SALES = """
acl:
  rights:
    reader: [authenticated]
    author: [sellers]
    editor: [editors]
    manager: [bosses]
  roles:
    lead: [leads]
  row_owners: [salesman]
"""
DEALS = "title: Deals\nelements:\n  listed: BASIC\n"
DEALS_CODE = """
def listed(context):
    return ", ".join(sorted(r.id for r in context.app.readable())) or "none"
"""
SALE = "title: New sale\nelements:\n  salesman: {type: TEXT, label: Salesman}\n  amount: NUMBER\n"
WHO = "title: Who\nelements:\n  who: BASIC\n"
WHO_CODE = """
def who(context):
    user = context.user
    return user.username if user else "anonymous"
"""
WRITES = "title: Writes\nelements:\n  made: BASIC\n"
WRITES_CODE = """
def made(context):
    record = context.app.create_record("written-in-a-preview")
    record.save({"amount": 1})
    return "made"
"""


@pytest.fixture
def shop(site_dir):
    site_dir.write("apps/sales/settings.yaml", SALES)
    site_dir.write("apps/sales/blocks/deals.yaml", DEALS)
    site_dir.write("apps/sales/blocks/deals.py", DEALS_CODE)
    site_dir.write("apps/sales/blocks/sale.yaml", SALE)
    site_dir.write("apps/sales/blocks/who.yaml", WHO)
    site_dir.write("apps/sales/blocks/who.py", WHO_CODE)
    site_dir.write("apps/sales/blocks/writes.yaml", WRITES)
    site_dir.write("apps/sales/blocks/writes.py", WRITES_CODE)
    note = 'def note(context):\n    return "a note"\n'
    for block in ("sales/blocks/bosses", "sales/blocks/audit", "hr/blocks/staff"):
        site_dir.write(f"apps/{block}.py", note)
    site_dir.write(
        "apps/sales/blocks/bosses.yaml",
        "title: For bosses\nview_permission: [bosses]\nelements:\n  note: BASIC\n",
    )
    site_dir.write(
        "apps/sales/blocks/audit.yaml",
        "title: Audit\nview_permission: [auditors]\nelements:\n  note: BASIC\n",
    )
    site_dir.write(
        "apps/hr/settings.yaml",
        "acl:\n  rights:\n    reader: [authenticated]\n    manager: [hr]\n",
    )
    site_dir.write("apps/hr/blocks/staff.yaml", "title: Staff\nelements:\n  note: BASIC\n")
    site_dir.write(
        "pages/index.yaml",
        "title: Home\nblocks: [sales/deals, sales/sale, sales/who, sales/bosses]\n",
    )
    site_dir.write(
        "pages/audit.yaml",
        "path: /audit/\ntitle: Audit\nview_permission: [auditors, bosses]\nblocks: [sales/audit]\n",
    )
    site_dir.write(
        "pages/mixed.yaml", "path: /mixed/\ntitle: Mixed\nblocks: [sales/deals, hr/staff]\n"
    )
    site_dir.write("pages/plain.yaml", "path: /plain/\ntitle: Plain\nblocks: []\n")
    site_dir.write("pages/writes.yaml", "path: /writes/\ntitle: Writes\nblocks: [sales/writes]\n")
    return site_dir


@pytest.fixture
def people(shop, user_factory):
    made = {
        "boss": user_factory("boss", groups=["bosses"]),
        "alice": user_factory("alice", groups=["sellers"]),
        "bob": user_factory("bob", groups=["sellers", "leads"]),
        "eve": user_factory("eve"),
        "auditor": user_factory("auditor", groups=["auditors"]),
        "hrboss": user_factory("hrboss", groups=["hr", "bosses"]),
        "root": user_factory("root", superuser=True),
    }
    app = current_site().apps["sales"]
    for record_id, salesman in (("a1", "alice"), ("b1", "bob"), ("l1", "leads")):
        store.record_create(app=app, items={"salesman": salesman}, record_id=record_id)
    return made


TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*')


def block_area(response, prefix: str = "") -> str:
    """The HTML of the page's blocks, with what a preview changes on purpose put back: the
    CSRF token, the disabled fieldset, and forms posting to the preview's path."""
    html = response.content.decode()
    html = html[html.index('<div class="blocks">') : html.index("</main>")]
    html = TOKEN.sub(r"\1TOKEN", html)
    html = html.replace('<fieldset class="preview-disabled" disabled>', "").replace(
        "</fieldset>", ""
    )
    html = re.sub(r'action="[^"]*"', 'action="ACTION"', html)
    return html.replace(prefix, "") if prefix else html


@pytest.mark.parametrize("name", ["alice", "bob", "eve"])
def test_a_preview_shows_the_blocks_and_rows_the_user_is_served(people, name):
    signed_in = new_client(people[name]).get("/")
    previewed = new_client(people["boss"]).get(f"/preview/{name}/")
    assert previewed.status_code == signed_in.status_code == 200
    assert block_area(previewed, f"/preview/{name}") == block_area(signed_in)


def test_what_block_code_writes_while_previewing_is_rolled_back(people):
    response = new_client(people["boss"]).get("/preview/alice/writes/")
    assert response.status_code == 200 and "made" in response.content.decode()
    assert not Record.objects.filter(record_id__startswith="written").exists()
    new_client(people["alice"]).get("/writes/")
    assert Record.objects.filter(record_id__startswith="written").count() == 1


def listed(html: str) -> str:
    """The record ids the block `deals` lists (its code reads `context.app.readable()`)."""
    return re.search(r'listed">([^<]*)<', html).group(1)


def test_the_rows_and_blocks_are_the_previewed_users(people):
    html = new_client(people["boss"]).get("/preview/alice/").content.decode()
    assert listed(html) == "a1"
    assert "For bosses" not in html  # a block alice may not see is absent
    assert 'data-block="who"' in html and ">alice<" in html  # context.user is alice
    bob = new_client(people["boss"]).get("/preview/bob/").content.decode()
    assert listed(bob) == "b1, l1"  # the owner value `leads` names a group of bob's
    own = new_client(people["boss"]).get("/").content.decode()
    assert listed(own) == "a1, b1, l1" and "For bosses" in own


def test_a_banner_names_the_user_with_a_way_out_and_the_forms_are_disabled(people):
    html = new_client(people["boss"]).get("/preview/alice/").content.decode()
    banner = re.search(r'<div class="preview-banner".*?</div>\s*</div>', html, re.S).group(0)
    assert '<strong class="previewed-user">alice</strong>' in banner
    assert '<a href="/">Stop viewing as alice</a>' in banner
    assert (
        html.count('<fieldset class="preview-disabled" disabled>')
        == html.count('<form method="post" class="block"')
        == 3
    )
    assert 'action="/preview/alice/"' in html and ' hx-post="' not in html
    assert '<a href="/preview/alice/audit/"' not in html  # alice may not open /audit/
    assert '<a href="/preview/alice/mixed/"' in html  # links stay in the preview
    assert re.search(r'class="link" disabled>Log out', html)


@pytest.mark.parametrize("who", [None, "boss", "eve", "root"])
def test_every_post_under_preview_answers_403_and_writes_nothing(people, who):
    client = new_client(people[who] if who else None)
    before = list(Record.objects.values_list("record_id", "items"))
    for path in ("/preview/alice/", "/preview/alice/mixed/", "/preview/"):
        response = client.post(path, {"_save": "1", "salesman": "alice", "amount": "5"})
        assert response.status_code == 403, (path, response.status_code)
    assert list(Record.objects.values_list("record_id", "items")) == before


@pytest.mark.parametrize(
    ("who", "target", "path", "status"),
    [
        (None, "alice", "/", 302),
        ("eve", "alice", "/", 403),
        ("alice", "bob", "/", 403),  # an author is no manager
        ("eve", "nobody", "/", 403),  # nothing revealed to a non-manager
        ("boss", "nobody", "/", 404),
        ("boss", "alice", "/", 200),
        ("boss", "root", "/", 403),  # a superuser, by someone who is not
        ("boss", "hrboss", "/", 200),  # a fellow manager of sales: no more than boss holds
        ("boss", "alice", "/mixed/", 403),  # boss manages sales, not hr
        ("hrboss", "boss", "/mixed/", 200),
        ("boss", "alice", "/plain/", 403),  # no app on the page: superusers only
        ("root", "alice", "/plain/", 200),
        ("root", "boss", "/mixed/", 200),
        ("root", "root", "/", 200),
        ("boss", "auditor", "/audit/", 403),  # auditor sees a block boss may not
        ("root", "auditor", "/audit/", 200),
        ("boss", "alice", "/nowhere/", 404),
    ],
)
def test_who_may_preview_whom(people, who, target, path, status):
    client = new_client(people[who] if who else None)
    response = client.get(f"/preview/{target}{path}")
    assert response.status_code == status, response.content[:300]
    if status == 302:
        assert response["Location"].startswith("/accounts/login/?next=/preview/")


def test_a_refusal_for_a_user_with_more_rights_says_why(people):
    response = new_client(people["boss"]).get("/preview/root/")
    assert "You may not preview this page as root: root is a superuser; you are not." in (
        response.content.decode()
    )
    response = new_client(people["boss"]).get("/preview/auditor/audit/")
    assert "auditor may see block sales/audit; you may not" in response.content.decode()


def test_every_preview_is_in_the_audit_trail(people):
    new_client(people["boss"]).get("/preview/alice/mixed/".replace("mixed/", ""))
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.PREVIEW)
    assert (event.username, event.target) == ("boss", "alice /")
    new_client(people["boss"]).get("/preview/root/")  # refused: not a preview
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PREVIEW).count() == 1


def refusals():
    return list(
        SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PREVIEW_REFUSED)
        .order_by("id")
        .values_list("username", "target", "status", "detail")
    )


def test_every_refused_preview_is_in_the_audit_trail(people):
    """A refused preview is a security event: someone looked for what they may not see, or
    tried to write as another user."""
    boss, eve = new_client(people["boss"]), new_client(people["eve"])
    assert boss.get("/preview/root/").status_code == 403  # a superuser
    assert eve.get("/preview/alice/").status_code == 403  # no manager
    assert boss.post("/preview/alice/", {"_save": "1"}).status_code == 403  # a write
    assert new_client().post("/preview/alice/mixed/").status_code == 403  # anonymous write
    assert eve.post("/preview/?user=alice&path=/").status_code == 403
    assert refusals() == [
        (
            "boss",
            "root /",
            403,
            "GET: You may not preview this page as root: root is a superuser; you are not.",
        ),
        ("eve", "alice /", 403, "GET: You may not preview the page at /."),
        ("boss", "alice /", 403, f"POST: {preview.NOTHING_WRITES}"),
        ("", "alice /mixed/", 403, f"POST: {preview.NOTHING_WRITES}"),
        ("eve", "/preview/", 403, f"POST: {preview.NOTHING_WRITES}"),
    ]
    # What is no refusal is not written: the login redirect, an unknown user or page (404).
    assert new_client().get("/preview/alice/").status_code == 302
    assert boss.get("/preview/nobody/").status_code == 404
    assert boss.get("/preview/alice/nowhere/").status_code == 404
    assert len(refusals()) == 5


def test_refused_previews_are_capped_as_every_refusal(people, settings, clock):
    settings.SECURITY_EVENTS_PER_MINUTE = 2
    eve = new_client(people["eve"])
    for _ in range(5):
        assert eve.get("/preview/alice/").status_code == 403
    assert len(refusals()) == 2
    clock.move(minutes=1)
    assert eve.get("/preview/alice/").status_code == 403
    flood = SecurityEvent.objects.get(suppressed__gt=0)
    assert (flood.kind, flood.username, flood.suppressed) == ("preview_refused", "eve", 3)


def test_the_view_as_control_is_shown_to_who_may_preview_the_page_and_leads_there(people):
    control = 'class="view-as"'
    assert control in new_client(people["boss"]).get("/").content.decode()
    assert control in new_client(people["root"]).get("/plain/").content.decode()
    assert control not in new_client(people["boss"]).get("/plain/").content.decode()
    assert control not in new_client(people["alice"]).get("/").content.decode()
    assert control not in new_client().get("/").content.decode()
    assert control not in new_client(people["boss"]).get("/preview/alice/").content.decode()
    response = new_client(people["boss"]).get("/preview/?user=alice&path=/mixed/")
    assert (response.status_code, response["Location"]) == (302, "/preview/alice/mixed/")
    assert new_client(people["boss"]).get("/preview/?user=&path=/").status_code == 400


def test_the_control_costs_no_query(people, monkeypatch, django_assert_max_num_queries):
    """A page of one listing block costs 2 queries: the session with its user and who they
    are, and the list; the "View as…" control is decided from them, with none of its own."""
    from records import access as gate

    boss = new_client(people["boss"])
    boss.get("/")  # the site folder read once
    with django_assert_max_num_queries(2) as with_control:
        assert 'class="view-as"' in boss.get("/").content.decode()
    monkeypatch.setattr(gate, "may_preview", lambda *args: False)
    with django_assert_max_num_queries(2) as without:
        assert 'class="view-as"' not in boss.get("/").content.decode()
    assert len(with_control.captured_queries) == len(without.captured_queries)


def test_calls_made_from_a_previewed_page_act_as_the_one_looking_not_the_previewed(people):
    boss = new_client(people["boss"])
    assert boss.get("/preview/alice/").status_code == 200
    assert boss.get("/apps/sales/blocks/who/who/").content.decode() == "boss"
    assert boss.get("/api/v1/sales/blocks/who/who").json() == "boss"


def test_an_odd_user_name_is_a_404_not_an_error(people):
    boss = new_client(people["boss"])
    for name in ("a%00b", "%E2%80%AE", "x" * 300):
        assert boss.get(f"/preview/{name}/").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "user=alice&path=/a%0Ab/",
        "user=al%0Aice&path=/",
        "user=alice&path=//evil.example/",
        "path=/",
    ],
)
def test_the_view_as_form_refuses_what_it_cannot_follow(people, query):
    response = new_client(people["boss"]).get(f"/preview/?{query}")
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert response["Location"].startswith("/preview/") and "\n" not in response["Location"]


LINKS_HTML = """<p>
<a href="/writes/">Writes</a> <a href='/?q=1#top'>Home</a> <a href="/writes">no slash</a>
<a href="/mixed/">Mixed</a>
<a href="/apps/sales/records/a1/">Sale a1</a> <a href="/accounts/profile/">Profile</a>
<a href="https://example.com/mixed/">Elsewhere</a> <a href="//example.com/mixed/">Protocol</a>
</p>
"""


def test_links_to_pages_stay_in_the_preview_and_record_pages_leave_it(people, shop):
    shop.write("apps/sales/blocks/links.yaml", "title: Links\nelements: {}\n")
    shop.write("apps/sales/blocks/links.html", LINKS_HTML)
    shop.write("pages/index.yaml", "title: Home\nblocks: [sales/deals, sales/links]\n")
    boss = new_client(people["boss"])
    html = boss.get("/preview/alice/").content.decode()
    assert '<a href="/preview/alice/writes/">Writes</a>' in html
    assert "<a href='/preview/alice/?q=1#top'>Home</a>" in html
    assert '<a href="/preview/alice/mixed/">Mixed</a>' in html
    for kept in (
        '<a href="/writes">no slash</a>',  # no page has that path
        '<a href="/apps/sales/records/a1/">Sale a1</a>',
        '<a href="/accounts/profile/">Profile</a>',
        '<a href="https://example.com/mixed/">Elsewhere</a>',
        '<a href="//example.com/mixed/">Protocol</a>',
    ):
        assert kept in html, kept
    assert 'class="preview-banner"' in boss.get("/preview/alice/writes/").content.decode()
    # A page boss may not preview (hr's blocks are on it) says so, still in the preview.
    refused = boss.get("/preview/alice/mixed/")
    assert refused.status_code == 403
    assert "You may not preview the page at /mixed/." in refused.content.decode()
    # A record page is the one looking's own: no banner, boss's view (boss, a manager, may
    # edit a1; alice, its salesman, may too: the page is boss's all the same).
    record = boss.get("/apps/sales/records/a1/").content.decode()
    assert 'class="preview-banner"' not in record
    # Outside a preview the block's links are as written.
    assert '<a href="/writes/">Writes</a>' in boss.get("/").content.decode()


PAY = """
acl:
  rights:
    reader: [authenticated]
    manager: [bosses]
  fields:
    salary: {read: [payroll]}
"""
STAFF = "title: Staff\nelements:\n  name: TEXT\n  salary: NUMBER\n  shown: BASIC\n"
STAFF_CODE = """
def shown(context):
    return "; ".join(f"{r.get('name')}={r.get('salary')}" for r in context.app.readable())
"""


def test_a_manager_may_not_preview_someone_who_reads_an_item_they_may_not(site_dir, user_factory):
    """A field rule hides `salary` from the managers of `pay`; previewing a payroll clerk
    would show it to them (issue 26)."""
    site_dir.write("apps/pay/settings.yaml", PAY)
    site_dir.write("apps/pay/blocks/staff.yaml", STAFF)
    site_dir.write("apps/pay/blocks/staff.py", STAFF_CODE)
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [pay/staff]\n")
    boss = user_factory("boss", groups=["bosses"])
    user_factory("clerk", groups=["payroll"])
    user_factory("eve")
    app = current_site().apps["pay"]
    store.record_create(app=app, items={"name": "Ann", "salary": 98765}, record_id="ann")
    client = new_client(boss)
    assert "98765" not in client.get("/").content.decode()
    response = client.get("/preview/clerk/")
    assert "98765" not in response.content.decode()
    assert response.status_code == 403
    assert "clerk may read item 'salary' of app 'pay'; you may not" in html.unescape(
        response.content.decode()
    )
    assert client.get("/preview/eve/").status_code == 200  # reads no more than boss


NOTES = """
acl:
  rights:
    reader: [authenticated]
    manager: [hr]
  row_owners: [owner]
"""
PEEK = "title: Peek\nelements:\n  peek: BASIC\n"
PEEK_CODE = """
def peek(context):
    return ", ".join(sorted(r.get("text") for r in context.apps("notes").readable())) or "none"
"""


def test_a_preview_does_not_read_another_apps_rows_through_block_code(site_dir, user_factory):
    """boss manages `sales`, whose block reads app `notes` (row-owned; boss no manager of it)
    as the visitor: previewing alice must not show boss alice's notes (issue 26)."""
    site_dir.write("apps/sales/settings.yaml", SALES)
    site_dir.write("apps/sales/blocks/peek.yaml", PEEK)
    site_dir.write("apps/sales/blocks/peek.py", PEEK_CODE)
    site_dir.write("apps/notes/settings.yaml", NOTES)
    site_dir.write("apps/notes/blocks/note.yaml", "elements:\n  owner: TEXT\n  text: TEXT\n")
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [sales/peek]\n")
    boss = user_factory("boss", groups=["bosses"])
    alice = user_factory("alice", groups=["sellers"])
    user_factory("hrboss", groups=["hr", "bosses"])
    notes = current_site().apps["notes"]
    store.record_create(app=notes, items={"owner": "alice", "text": "alice-secret"}, record_id="n1")
    assert "alice-secret" in new_client(alice).get("/").content.decode()
    assert "alice-secret" not in new_client(boss).get("/").content.decode()
    previewed = new_client(boss).get("/preview/alice/")
    assert "alice-secret" not in previewed.content.decode()
    assert previewed.status_code == 200
    assert "Block sales/peek could not be shown." in block_area(previewed)
    # a manager of both apps sees it as alice does
    hrboss = new_client(user_factory("both", groups=["hr", "bosses"]))
    assert "alice-secret" in hrboss.get("/preview/alice/").content.decode()
