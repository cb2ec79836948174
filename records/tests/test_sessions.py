"""The session and its user read in one query (accounts/sessions.py, issue 21): every rule of
Django's own session reading still holds on the next request, through the API."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session as DjangoSession
from django.db import connection
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken, Session
from accounts.sessions import SessionStore
from records.models import Record
from tests.helpers import assert_error, login, new_client

pytestmark = pytest.mark.django_db

RECORD = "/api/v1/sales/record/r1"


@pytest.fixture
def record(make_record, users):
    make_record("sales", "r1", {"title": "Lord Jim"})
    return RECORD


@pytest.fixture
def reader(api_client, record):
    client = api_client("reader")
    assert client.get(RECORD).status_code == 200
    return client


def refused_as_anonymous(response):
    assert_error(response, 401, "authentication required to view records of app 'sales'")


def test_a_session_row_carries_its_user_id(reader, users):
    assert Session.objects.get().user_id == users["reader"].pk


def test_a_password_changed_elsewhere_ends_the_session(reader, users):
    users["reader"].set_password("a-new-password-1")
    users["reader"].save()
    refused_as_anonymous(reader.get(RECORD))
    assert not Session.objects.exists()  # flushed, as Django's get_user does


def test_a_user_made_inactive_is_signed_out_on_the_next_request(reader, users):
    users["reader"].is_active = False
    users["reader"].save()
    refused_as_anonymous(reader.get(RECORD))


def test_a_session_ended_elsewhere_ends_here(reader):
    Session.objects.all().delete()  # signed out in another browser, or by an administrator
    refused_as_anonymous(reader.get(RECORD))


def test_an_expired_session_counts_for_nothing(reader):
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    refused_as_anonymous(reader.get(RECORD))


def test_groups_changed_elsewhere_count_on_the_next_request(reader, users):
    users["reader"].groups.remove(Group.objects.get(name="readers"))
    assert_error(reader.get(RECORD), 403, "you may not view records of app 'sales'")
    users["reader"].groups.add(Group.objects.get(name="readers"))
    assert reader.get(RECORD).status_code == 200


def test_the_session_data_wins_over_the_row_s_copy_of_the_user(api_client, record, users):
    """The copy only saves a query: a row whose copy names someone else (a superuser here)
    is read as its data says (the stranger, who may not read app sales)."""
    stranger = api_client("stranger")
    Session.objects.update(user_id=users["root"].pk)
    assert_error(stranger.get(RECORD), 403, "you may not view records of app 'sales'")
    assert stranger.get("/api/v1/open/records").status_code == 403  # managers only


@pytest.mark.parametrize(
    "cookie",
    ['"\\000abcdefghij"', "abcdefgh" * 30, "ABCDEFGHIJKLMNOP", "abcdefgh' OR '1'='1"],
    ids=["NUL", "long", "upper case", "quote"],
)
def test_a_session_cookie_of_no_session_s_shape_is_anonymous(record, settings, cookie):
    """A key Django would never make (32 of a-z0-9) names no session: it is not looked up.
    A NUL in it was a 500 on PostgreSQL, which cannot compare text holding one."""
    client = new_client()
    header = f"{settings.SESSION_COOKIE_NAME}={cookie}"
    refused_as_anonymous(client.get(RECORD, HTTP_COOKIE=header))


def test_a_write_keeps_the_copy_of_the_user(reader, users):
    session = reader.session
    session["something"] = "else"
    session.save()
    assert Session.objects.get().user_id == users["reader"].pk


def test_the_sessions_of_django_s_table_carry_over(users, settings):
    """Migration accounts 0005: the signed-in sessions of `django_session` are copied to
    `accounts_session` with their user, so nobody is signed out by the upgrade."""
    copy_sessions = __import__(
        "accounts.migrations.0007_session_with_user", fromlist=["copy_sessions"]
    ).copy_sessions
    old = DjangoSessionStore()
    old["_auth_user_id"] = str(users["editor"].pk)
    old.save()
    expired = DjangoSessionStore()
    expired.set_expiry(-1)
    expired.save()
    copy_sessions(apps, SimpleNamespace(connection=connection))
    assert list(Session.objects.values_list("session_key", "user_id")) == [
        (old.session_key, users["editor"].pk)
    ]
    client = new_client()
    client.cookies[settings.SESSION_COOKIE_NAME] = old.session_key
    # The data has no auth hash: Django's rule ends such a session, and so does ours.
    assert client.get("/api/v1/sales/records").status_code == 401


def test_the_copied_rows_of_django_s_table_are_deleted(users):
    """Migration accounts 0008: once copied, nothing reads django_session's rows again;
    they are deleted rather than left holding signed-in sessions' data."""
    empty = __import__(
        "accounts.migrations.0011_django_session_emptied", fromlist=["empty_django_sessions"]
    ).empty_django_sessions
    old = DjangoSessionStore()
    old["_auth_user_id"] = str(users["editor"].pk)
    old.save()
    kept = Session.objects.count()
    assert DjangoSession.objects.exists()
    empty(apps, SimpleNamespace(connection=connection))
    assert not DjangoSession.objects.exists()
    assert Session.objects.count() == kept  # the site's own sessions are untouched


def test_a_token_marks_its_use_at_most_once_a_minute(record, users, clock):
    token, raw = tokens.create_token(users["reader"])
    client = new_client(bearer=raw)
    assert client.get(RECORD).status_code == 200
    first = ApiToken.objects.get(pk=token.pk).last_used
    assert first == clock.now
    clock.move(seconds=59)
    assert client.get(RECORD).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used == first
    clock.move(seconds=1)
    assert client.get(RECORD).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used == clock.now


def test_a_token_of_a_user_made_inactive_is_refused_at_once(record, users):
    _, raw = tokens.create_token(users["reader"])
    client = new_client(bearer=raw)
    assert client.get(RECORD).status_code == 200
    users["reader"].is_active = False
    users["reader"].save()
    assert_error(client.get(RECORD), 401, "invalid or revoked API token")
    assert Record.objects.count() == 1


# --- what held when attacked (regression) -------------------------------------------------------


def test_a_session_key_planted_before_sign_in_is_not_the_signed_in_one(record, settings):
    """Session fixation: a key the attacker holds (their own session, set in the victim's
    browser) is replaced at sign-in, and its row is gone."""
    planted = SessionStore()
    planted["planted"] = True
    planted.save()
    victim = new_client()
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    assert login(victim, "reader").status_code == 302
    assert victim.get(RECORD).status_code == 200
    assert victim.cookies[settings.SESSION_COOKIE_NAME].value != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    attacker = new_client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    refused_as_anonymous(attacker.get(RECORD))


def test_a_session_signed_out_cannot_be_replayed(reader, settings):
    key = reader.cookies[settings.SESSION_COOKIE_NAME].value
    assert reader.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = new_client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    refused_as_anonymous(replay.get(RECORD))


def test_a_user_deleted_while_signed_in_is_anonymous(reader, users):
    users["reader"].delete()
    refused_as_anonymous(reader.get(RECORD))


def test_the_row_s_user_is_not_taken_for_another_user_id_in_the_data(reader, users):
    """The data names a user the row does not (edited behind the site's back): the data's
    user is read, and their auth hash checked, so the session ends."""
    session = Session.objects.get()
    data = SessionStore().decode(session.session_data)
    data["_auth_user_id"] = str(users["root"].pk)
    Session.objects.update(session_data=SessionStore().encode(data))
    refused_as_anonymous(reader.get(RECORD))
    assert not Session.objects.exists()


# --- prepared statements on PostgreSQL (accounts/rows.py) ---------------------------------------

only_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements of PostgreSQL"
)


def prepared_runs() -> dict[str, int]:
    """{the first table a prepared statement of this connection reads: its runs}"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements "
            "WHERE NOT from_sql"
        )
        rows = cursor.fetchall()
    return {statement.split(" FROM ")[-1].split()[0].strip('"'): runs for statement, runs in rows}


@only_postgresql
def test_the_reads_of_every_request_are_prepared_and_still_read_afresh(reader, users):
    """The session with its user and their identity, and the record, are planned once per
    connection; each request still runs them, so a change elsewhere counts at once."""
    before = prepared_runs()
    assert reader.get(RECORD).status_code == 200
    after = prepared_runs()
    assert after["accounts_session"] == before["accounts_session"] + 1
    assert after["records_record"] == before["records_record"] + 1
    users["reader"].groups.remove(Group.objects.get(name="readers"))
    assert_error(reader.get(RECORD), 403, "you may not view records of app 'sales'")
    assert prepared_runs()["accounts_session"] == after["accounts_session"] + 1


@only_postgresql
def test_a_token_s_read_is_prepared_and_its_revocation_counts_at_once(record, users):
    _, raw = tokens.create_token(users["reader"])
    client = new_client(bearer=raw)
    assert client.get(RECORD).status_code == 200
    runs = prepared_runs()[ApiToken._meta.db_table]
    assert client.get(RECORD).status_code == 200
    assert prepared_runs()[ApiToken._meta.db_table] == runs + 1
    ApiToken.objects.all().delete()
    assert_error(client.get(RECORD), 401, "invalid or revoked API token")


@only_postgresql
def test_prepared_reads_can_be_turned_off_for_a_pooler(record, users, settings):
    settings.PREPARED_READS = False
    client = new_client()
    assert login(client, "reader").status_code == 302
    before = prepared_runs()
    assert client.get(RECORD).status_code == 200
    assert prepared_runs() == before
