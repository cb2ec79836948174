"""Security events of records in the audit trail (issue 10): shares granted and revoked, and
each 401/403/404 a record route of the API or of the HTML answers (who, what, from where)."""

import pytest

from accounts.models import SecurityEvent

pytestmark = pytest.mark.django_db


def events():
    return list(
        SecurityEvent.objects.order_by("id").values_list(
            "kind", "username", "address", "target", "status", "detail"
        )
    )


@pytest.fixture
def mine(make_record, users, settings):
    settings.TRUSTED_PROXIES = []
    return make_record("sales", "mine", {"title": "a"}, author=users["author"])


def test_shares_granted_and_revoked_are_recorded(api_client, mine):
    author = api_client("author")
    body = {"principal": "stranger", "permissions": ["view", "edit"]}
    assert author.send("POST", "/api/v1/sales/record/mine/share", body).status_code == 200
    body = {"principal": "stranger", "permissions": ["edit"]}
    assert author.send("DELETE", "/api/v1/sales/record/mine/share", body).status_code == 200
    assert events() == [
        ("share_granted", "author", "127.0.0.1", "sales/mine", None, "stranger: view, edit"),
        ("share_revoked", "author", "127.0.0.1", "sales/mine", None, "stranger: edit"),
    ]
    assert SecurityEvent.objects.filter(user__username="author").count() == 2


def test_a_share_refused_is_recorded_and_grants_nothing(api_client, mine):
    body = {"principal": "stranger", "permissions": ["view"]}
    assert (
        api_client("author2").send("POST", "/api/v1/sales/record/mine/share", body).status_code
        == 403
    )
    assert events() == [
        (
            "access_refused",
            "author2",
            "127.0.0.1",
            "sales/mine",
            403,
            "POST: you may not share records of app 'sales'",
        )
    ]


@pytest.mark.parametrize(
    ("who", "method", "path", "status", "target", "detail"),
    [
        (
            None,
            "GET",
            "/api/v1/sales/record/mine",
            401,
            "sales/mine",
            "GET: authentication required to view records of app 'sales'",
        ),
        (
            "stranger",
            "GET",
            "/api/v1/sales/records",
            403,
            "sales/*",
            "GET: you may not view records of app 'sales'",
        ),
        (
            "reader",
            "PATCH",
            "/api/v1/sales/record/mine",
            403,
            "sales/mine",
            "PATCH: you may not edit records of app 'sales'",
        ),
        (
            "reader",
            "POST",
            "/api/v1/sales",
            403,
            "sales/*",
            "POST: you may not create records of app 'sales'",
        ),
        (
            "editor",
            "GET",
            "/api/v1/sales/record/no-such",
            404,
            "sales/no-such",
            "GET: no record 'no-such' in app 'sales'",
        ),
        ("editor", "POST", "/api/v1/nope/search", 404, "nope/*", "POST: no app 'nope'"),
    ],
)
def test_api_refusals_on_records_are_recorded(
    api_client, mine, who, method, path, status, target, detail
):
    response = api_client(who).send(method, path, {"title": "x"} if method != "GET" else None)
    assert response.status_code == status
    assert events() == [("access_refused", who or "", "127.0.0.1", target, status, detail)]


def test_answers_that_are_no_refusals_are_not_recorded(api_client, mine):
    editor = api_client("editor")
    assert editor.get("/api/v1/sales/record/mine").status_code == 200
    assert editor.send("PATCH", "/api/v1/sales/record/mine", {"_x": 1}).status_code == 400
    assert editor.get("/api/v1/sales/blocks/nope").status_code == 404  # not a record route
    assert editor.get("/apps/sales/records/mine/").status_code == 200
    assert events() == []


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        (None, "/apps/sales/records/mine/", 401),  # redirected to the login page
        ("stranger", "/apps/sales/records/mine/", 403),
        ("reader", "/apps/sales/records/mine/edit/", 403),
        ("editor", "/apps/sales/records/no-such/", 404),
        ("editor", "/apps/nope/records/mine/", 404),
    ],
)
def test_html_refusals_on_records_are_recorded(api_client, mine, who, path, status):
    response = api_client(who).get(path)
    assert response.status_code == (302 if status == 401 else status)
    target = "/".join(path.split("/")[2:5:2])
    assert events() == [("access_refused", who or "", "127.0.0.1", target, status, f"GET {path}")]


def test_an_owner_item_refused_on_the_form_is_recorded(api_client, mine, records_site, users):
    from records import store
    from site_model.loader import current_site
    from tests.sites import SALES_ACL

    records_site.write("apps/sales/settings.yaml", SALES_ACL + "  row_owners: [salesman]\n")
    records_site.write("apps/sales/blocks/deal.yaml", "elements:\n  salesman: TEXT\n")
    app = current_site().apps["sales"]
    store.record_create(
        app=app, items={}, record_id="d", user=users["author"], block=app.blocks["deal"]
    )
    body = {"principal": "reader", "permissions": ["view", "edit"]}
    assert (
        api_client("author").send("POST", "/api/v1/sales/record/d/share", body).status_code == 200
    )
    response = api_client("reader").post(
        "/apps/sales/records/d/edit/", {"_save": "1", "salesman": "reader"}
    )
    assert response.status_code == 403
    assert events()[-1] == (
        "access_refused",
        "reader",
        "127.0.0.1",
        "sales/d",
        403,
        "POST /apps/sales/records/d/edit/: an edit share may not change the owner item 'salesman'",
    )


def test_shares_set_in_the_admin_are_recorded(staff_client, users, mine):
    from django.contrib.auth.models import Group

    client = staff_client
    guests = Group.objects.create(name="guests")
    page = f"/admin/records/record/{mine.pk}/permissions/group-manage/{guests.pk}/"
    assert client.post(page, {"permissions": ["view_record", "change_record"]}).status_code == 302
    assert client.post(page, {"permissions": ["view_record"]}).status_code == 302
    page = f"/admin/records/record/{mine.pk}/permissions/user-manage/{users['reader'].pk}/"
    assert client.post(page, {"permissions": ["delete_record"]}).status_code == 302
    assert [e[:2] + e[3:] for e in events()] == [
        ("share_granted", "root", "sales/mine", None, "guests: view, edit (in the admin)"),
        ("share_revoked", "root", "sales/mine", None, "guests: edit (in the admin)"),
        ("share_granted", "root", "sales/mine", None, "reader: delete (in the admin)"),
    ]


# --- the cap: a flood of refusals from one source writes a bounded number of rows ---------------


def misses(client, count: int, start: int = 0) -> None:
    """`count` anonymous guesses at records of app `public` (anyone may read it): each a 404."""
    for n in range(start, start + count):
        assert client.get(f"/api/v1/public/record/guess-{n}").status_code == 404


def refused_from(address: str) -> int:
    return SecurityEvent.objects.filter(kind="access_refused", address=address).count()


@pytest.fixture
def cap(settings):
    settings.TRUSTED_PROXIES = []
    return settings.SECURITY_EVENTS_PER_MINUTE


def test_a_flood_of_404s_writes_the_cap_then_one_row_counting_the_rest(
    api_client, records_site, cap, clock
):
    client = api_client()
    misses(client, 200)
    assert SecurityEvent.objects.count() == cap
    assert SecurityEvent.objects.filter(suppressed__gt=0).count() == 0

    clock.move(minutes=1)  # the next minute's first event writes the count, then itself
    misses(client, 1, start=200)
    summary, event = SecurityEvent.objects.order_by("-id")[:2][::-1]
    assert (summary.kind, summary.address, summary.username, summary.suppressed) == (
        "access_refused",
        "127.0.0.1",
        "",
        200 - cap,
    )
    assert summary.detail == (
        f"{200 - cap} more like it from 127.0.0.1 in the minute from 2026-03-02 12:00 "
        f"were not written (at most {cap} a minute are)"
    )
    assert (event.target, event.suppressed) == ("public/guess-200", 0)
    assert SecurityEvent.objects.count() == cap + 2


def test_the_count_waits_for_the_next_event_however_late(api_client, records_site, cap, clock):
    client = api_client()
    misses(client, cap + 7)
    clock.move(hours=5)
    misses(client, 1, start=1000)
    assert list(SecurityEvent.objects.filter(suppressed__gt=0).values_list("suppressed")) == [(7,)]
    assert SecurityEvent.objects.count() == cap + 2


def test_a_flood_of_three_minutes_writes_the_cap_each_minute_and_one_row_for_each_rest(
    api_client, records_site, cap, clock, settings
):
    settings.SECURITY_EVENTS_PER_MINUTE = 4
    client = api_client()
    for minute in range(3):
        misses(client, 10, start=10 * minute)
        clock.move(minutes=1)
    counts = SecurityEvent.objects.filter(suppressed__gt=0).values_list("suppressed", flat=True)
    assert list(counts) == [6, 6]  # the third minute's waits for the next event
    assert SecurityEvent.objects.count() == 3 * 4 + 2


def test_a_flood_from_one_address_leaves_another_alone(api_client, records_site, cap, clock):
    misses(api_client(REMOTE_ADDR="203.0.113.9"), 200)
    misses(api_client(REMOTE_ADDR="198.51.100.7"), 5, start=500)
    assert (refused_from("203.0.113.9"), refused_from("198.51.100.7")) == (cap, 5)


def test_behind_a_trusted_proxy_each_client_has_a_cap_of_its_own(
    api_client, records_site, cap, clock, settings
):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    proxied = {"REMOTE_ADDR": "10.0.0.5"}
    misses(api_client(**proxied, HTTP_X_FORWARDED_FOR="203.0.113.9"), 200)
    misses(api_client(**proxied, HTTP_X_FORWARDED_FOR="198.51.100.7"), 5, start=500)
    assert (refused_from("203.0.113.9"), refused_from("198.51.100.7")) == (cap, 5)


def test_an_ipv6_client_is_capped_across_its_64_not_per_address(
    api_client, records_site, cap, clock
):
    for n in range(cap + 20):  # a new address of the same /64 for each request
        client = api_client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
        assert client.get(f"/api/v1/public/record/guess-{n}").status_code == 404
    other = api_client(REMOTE_ADDR="2001:db8:1:3::1")  # another /64: its own cap
    assert other.get("/api/v1/public/record/guess-x").status_code == 404
    rows = SecurityEvent.objects.filter(kind="access_refused")
    assert rows.filter(address__startswith="2001:db8:1:2:").count() == cap
    assert rows.filter(address="2001:db8:1:3::1").count() == 1
    clock.move(minutes=1)
    api_client(REMOTE_ADDR="2001:db8:1:2::ffff").get("/api/v1/public/record/guess-y")
    summary = rows.get(suppressed__gt=0)
    assert summary.suppressed == 20
    assert "from 2001:db8:1:2::/64 in the minute" in summary.detail


def test_a_forged_forwarded_header_does_not_escape_the_cap(api_client, records_site, cap, clock):
    client = api_client(REMOTE_ADDR="203.0.113.9")
    for n in range(cap + 20):
        forged = {"HTTP_X_FORWARDED_FOR": f"198.51.100.{n % 250}"}
        assert client.get(f"/api/v1/public/record/guess-{n}", **forged).status_code == 404
    assert SecurityEvent.objects.count() == refused_from("203.0.113.9") == cap


def test_a_signed_in_users_events_are_written_during_a_flood_from_their_address(
    api_client, mine, cap, clock
):
    misses(api_client(), 200)  # anonymous, from 127.0.0.1 like every test client
    author = api_client("author")
    body = {"principal": "stranger", "permissions": ["view"]}
    assert author.send("POST", "/api/v1/sales/record/mine/share", body).status_code == 200
    assert author.get("/api/v1/sales/record/no-such").status_code == 404
    assert events()[cap:] == [
        ("share_granted", "author", "127.0.0.1", "sales/mine", None, "stranger: view"),
        (
            "access_refused",
            "author",
            "127.0.0.1",
            "sales/no-such",
            404,
            "GET: no record 'no-such' in app 'sales'",
        ),
    ]


def test_changes_of_access_are_never_capped(api_client, mine, cap, clock):
    author = api_client("author")
    for n in range(cap + 5):
        body = {"principal": "stranger", "permissions": ["view" if n % 2 else "edit"]}
        assert author.send("POST", "/api/v1/sales/record/mine/share", body).status_code == 200
    assert SecurityEvent.objects.filter(kind="share_granted").count() == cap + 5


def test_a_flood_of_html_refusals_is_capped_too(api_client, mine, cap, clock):
    client = api_client()
    for n in range(cap + 10):
        assert client.get(f"/apps/sales/records/guess-{n}/").status_code == 302  # to log in
    assert refused_from("127.0.0.1") == cap


def test_with_the_cache_down_every_event_is_still_written(api_client, records_site, cap, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    misses(api_client(), cap + 3)
    assert refused_from("127.0.0.1") == cap + 3
