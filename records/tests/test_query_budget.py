"""Query budgets of the JSON API (issues 12 and 21), on both engines: what one request may cost.

Counted by pytest-django's `django_assert_max_num_queries`, inside the test's transaction, so
the savepoint pair of a write (SAVEPOINT, RELEASE; BEGIN in production, COMMIT unlogged)
counts too. Each test warms up first (the site's groups are created on the first request of a
process, web.middleware), then counts one request. Where each query goes:

GET /record/<id> with a session (editor, or a reader who may see the record): 2
  1. the session row with its user and who the visitor is: their group names, allauth's rows
     for their e-mail and whether they have a confirmed TOTP device, as columns of the same
     row (accounts.sessions, accounts.identity.session_with_user); the second-factor
     middleware reads the device from it, the gate the principals
  2. the record (records.selectors.record_get)
  Shares are read (one more query, user and group shares in one UNION ALL) only when the
  visitor may not do the action without one: they only ever add permissions (records/access.py).
GET /record/<id> with a Bearer token: 2
  1. the token with its user and who the visitor is, as above (accounts.tokens.user_for_token;
     at most once a minute one more, an UPDATE of `last_used`); the "must set up a second
     factor" check reads the device from it
  2. the record
GET /record/<id> with HTTP Basic: 4 (the password hash costs far more than any of them)
  1. every user the login could name (accounts.passwords.accounts_named, for the limit)
  2. the user the password is checked for (the authentication backend)
  3. who the visitor is (accounts.identity.identity_for), with their device for the
     "has or must have a second factor" refusal
  4. the record
GET /records?limit=100 (a list page) and POST /search, with or without `fields`: at most 3
  1 as for one record by session; 2 the page (one SELECT with the row-level filter and the
  query's index conditions as sub-selects); 3 for a reader under row-level security: the check
  that the app's owner rows were built for its current `row_owners` (owners.ensure_current),
  once per process and site version in production (its cache fills on commit, so tests pay it).
  A page at an offset of 1,000 or more of every record (an editor's list): 2 the span sum
  that says where it starts (selectors.span_start), 3 the page (test_record_spans.py).
PATCH /record/<id> with a session: at most 6
  1 as above; 2 SAVEPOINT (the transaction); 3 the record, `SELECT ... FOR UPDATE`, read
  once for the gate and the write; 4 the UPDATE of the record (its new version is known under
  the lock: nothing is read back); 5 the index rows that changed (one UPDATE when one indexed
  value changed; a DELETE and an INSERT per table for more; nothing when none did), and the
  owner rows only when its owners changed; 6 RELEASE SAVEPOINT. A PATCH that changes no
  indexed item costs 5; one that changes a field index and a text index 7 (one UPDATE per
  table).
The audit trail is written only on refusals (one INSERT, not part of these budgets).
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import tokens
from tests.helpers import add_totp


@pytest.fixture
def record(make_record, users):
    make_record("sales", "r1", {"title": "Lord Jim", "price": 3})
    for n in range(3):
        make_record("sales", f"q{n}", {"title": "other", "price": 10 + n})
    return "/api/v1/sales/record/r1"


@pytest.fixture
def rls_records(owned_app, make_record, users):
    make_record("owned", "mine", {"salesman": "reader", "amount": 1})
    make_record("owned", "theirs", {"salesman": "author", "amount": 2})


def warm(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("who", ["editor", "reader"])
def test_get_one_record_with_a_session_costs_2_queries(
    api_client, record, who, django_assert_max_num_queries
):
    client = api_client(who)
    warm(client, record)
    with django_assert_max_num_queries(2):
        response = client.get(record)
    assert response.status_code == 200
    assert response.json() == {"id": "r1", "title": "Lord Jim", "price": 3}


def test_the_view_reads_the_user_itself_not_through_the_middlewares_proxies(
    api_client, users, record
):
    """Django's and django-otp's middleware each wrap request.user in a lazy proxy; past the
    second-factor check the request holds the user itself, so the view's hundred-odd reads of
    it cost a plain attribute each (issue 21). Still the session's user, verified or not."""
    response = api_client("editor").get(record)
    assert response.status_code == 200
    user = response.wsgi_request.user
    assert type(user) is type(users["editor"]) and user.pk == users["editor"].pk
    assert user.is_verified() is False
    anonymous = api_client().get("/api/v1/public/records").wsgi_request.user
    assert type(anonymous) is AnonymousUser


@pytest.mark.parametrize("who", ["editor", "reader"])
def test_get_one_record_with_a_token_costs_2_queries(
    api_client, users, record, who, django_assert_max_num_queries
):
    _, raw = tokens.create_token(users[who])
    client = api_client(bearer=raw)
    warm(client, record)  # marks the token used: no UPDATE of last_used within the minute
    with django_assert_max_num_queries(2):
        response = client.get(record)
    assert response.status_code == 200
    assert response.json() == {"id": "r1", "title": "Lord Jim", "price": 3}


@pytest.mark.parametrize("who", ["editor", "reader"])
def test_get_one_record_with_http_basic_costs_4_queries(
    api_client, record, who, django_assert_max_num_queries
):
    client = api_client(basic=who)
    warm(client, record)
    with django_assert_max_num_queries(4):
        response = client.get(record)
    assert response.status_code == 200
    assert response.json() == {"id": "r1", "title": "Lord Jim", "price": 3}


def test_a_reader_under_row_level_security_reads_their_record_in_2_queries(
    api_client, rls_records, django_assert_max_num_queries
):
    client = api_client("reader")
    warm(client, "/api/v1/owned/record/mine")
    with django_assert_max_num_queries(2):
        assert client.get("/api/v1/owned/record/mine").status_code == 200
    # and someone else's stays hidden (the shares are read to decide: one more query)
    assert client.get("/api/v1/owned/record/theirs").status_code == 404


@pytest.mark.parametrize(
    ("who", "path", "expected"),
    [
        ("editor", "/api/v1/sales/records?limit=100", 4),
        ("reader", "/api/v1/sales/records?limit=2", 2),
        ("reader", "/api/v1/owned/records?limit=100", 1),
        ("editor", "/api/v1/owned/records?limit=100", 2),
        ("editor", "/api/v1/sales/records?limit=100&fields=title", 4),
        ("reader", "/api/v1/owned/records?limit=100&fields=amount", 1),
    ],
)
def test_a_list_page_costs_at_most_3_queries(
    api_client, record, rls_records, who, path, expected, django_assert_max_num_queries
):
    client = api_client(who)
    warm(client, path)
    with django_assert_max_num_queries(3):
        response = client.get(path)
    assert len(response.json()) == expected


@pytest.mark.parametrize("fields", [{}, {"fields": ["amount"]}])
@pytest.mark.parametrize("who", ["editor", "reader"])
def test_a_search_page_costs_at_most_3_queries(
    api_client, record, rls_records, who, fields, django_assert_max_num_queries
):
    client = api_client(who)
    path = "/api/v1/owned/search"
    assert client.post_json(path, {"query": "amount > 0"}).status_code == 200
    with django_assert_max_num_queries(3):
        response = client.post_json(path, {"query": "amount > 0", "limit": 100, **fields})
    assert [row["id"] for row in response.json()] == (
        ["mine", "theirs"] if who == "editor" else ["mine"]
    )


# Each budget holds the INSERT of the write's version (records.history, contract §9).
@pytest.mark.parametrize(
    ("body", "budget"),
    [
        ({"price": 5}, 7),
        ({"price": 5, "quantity": 2}, 7),
        ({"quantity": 2}, 6),
        # a field index and a text index: one UPDATE in each table
        ({"price": 5, "title": "Lord Jim again"}, 8),
    ],
)
def test_a_patch_costs_at_most_7_queries_and_reads_nothing_back(
    api_client, record, body, budget, django_assert_max_num_queries
):
    client = api_client("editor")
    warm(client, record)
    with django_assert_max_num_queries(budget):
        response = client.send("PATCH", record, body)
    assert response.status_code == 200
    assert response["ETag"] == client.get(record)["ETag"]
    assert client.get(record).json() == {"id": "r1", "title": "Lord Jim", "price": 3, **body}
    # the index rows follow the items
    found = client.post_json("/api/v1/sales/search", {"query": f"price == {body.get('price', 3)}"})
    assert [row["id"] for row in found.json()] == ["r1"]


def test_a_patch_that_changes_an_owner_rewrites_the_owner_rows(api_client, rls_records):
    editor, reader = api_client("editor"), api_client("reader")
    assert (
        editor.send("PATCH", "/api/v1/owned/record/theirs", {"salesman": "reader"}).status_code
        == 200
    )
    listed = reader.get("/api/v1/owned/records").json()
    assert sorted(row["id"] for row in listed) == ["mine", "theirs"]
    assert (
        editor.send("PATCH", "/api/v1/owned/record/mine", {"salesman": "nobody"}).status_code == 200
    )
    assert [row["id"] for row in reader.get("/api/v1/owned/records").json()] == ["theirs"]


def test_a_device_set_up_elsewhere_still_stops_the_session_on_its_next_request(
    api_client, users, record
):
    """No cache of "no device": the device is read with the groups, in the same query."""
    client = api_client("editor")
    warm(client, record)
    add_totp(users["editor"])  # in another browser
    response = client.get(record)
    assert response.status_code == 401  # the API treats the unverified session as anonymous


def test_the_device_costs_no_query_of_its_own(api_client, record):
    client = api_client("editor")
    warm(client, record)
    with CaptureQueriesContext(connection) as queries:
        client.get(record)
    device_queries = [q["sql"] for q in queries if "otp_totp_totpdevice" in q["sql"]]
    assert len(device_queries) == 1
    assert "auth_group" in device_queries[0]  # asked together with the user's groups


def test_a_bulk_create_writes_in_batches_not_per_record(
    api_client, rls_records, django_assert_max_num_queries
):
    """1,000 records: a check of the given ids and one of the new ids, then the records, their
    index rows and their owner rows in batched INSERTs (SQLite: Django fills each INSERT up to
    999 parameters, ~140 records, ~160 index rows or ~250 owner rows; PostgreSQL: one each),
    plus the request's own query and a savepoint pair: at most 38, where one record at a
    time took 12 statements a record."""
    client = api_client("author")
    body = [{"id": f"b{n}", "amount": n, "salesman": "reader"} for n in range(500)]
    body += [{"amount": n} for n in range(500)]
    client.get("/api/v1/owned/records?limit=1")  # the site's first request: owner rows built
    with django_assert_max_num_queries(38):
        response = client.post_json("/api/v1/owned/records", body)
    assert response.status_code == 201
    assert response.json() == {"success": "created", "total": 1000}
    found = client.post_json("/api/v1/owned/search", {"query": "amount == 7", "limit": 1000})
    assert sorted(row["items"]["_author"] for row in found.json()) == ["author", "author"]
    reader = api_client("reader").get("/api/v1/owned/records?limit=1000").json()
    assert len(reader) == 501  # the 500 naming them, and `mine`


def test_a_bulk_create_refused_for_a_taken_id_writes_nothing(api_client, rls_records):
    client = api_client("editor")
    response = client.post_json("/api/v1/owned/records", [{"id": "x"}, {"id": "mine"}])
    assert response.status_code == 409
    assert response.json() == {"error": "record 1: record 'mine' exists already in app 'owned'"}
    assert client.get("/api/v1/owned/record/x").status_code == 404
