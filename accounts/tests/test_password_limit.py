"""Password guessing (issue 10, finding 2): the login form and HTTP Basic share one limit.

Contract section 7 "Passwords": after 5 failures within 5 minutes for an account, every
further check for that account in the window is refused, the right password included: the
form says to wait, the API answers 429 with `Retry-After`. Each failure is logged. A user who
has, or must have, a second factor gets the same 401 over Basic, right password or wrong.
Each test is an attack over HTTP, as the issue reproduced it.
"""

import base64
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client

from accounts import passwords
from accounts.models import SecurityEvent
from tests.helpers import PASSWORD, add_totp, login

pytestmark = pytest.mark.django_db

Kind = SecurityEvent.Kind
LIMIT = 5  # failures per account within WINDOW seconds
WINDOW = 300
TOO_MANY_LOGINS = "Too many failed login attempts. Wait a few minutes and try again."
WRONG_LOGIN = "The username and/or password you specified are not correct."
BASIC_REFUSED = {
    "error": "invalid user name or password; a user with a second factor must use an API token (Bearer)"
}
WWW = 'Basic realm="api", Bearer realm="api"'


@pytest.fixture
def api_site(site_dir):
    site_dir.write("settings.yaml", "title: T\nauth:\n  otp:\n    required_for: [finance]\n")
    site_dir.write("apps/notes/settings.yaml", "acl:\n  rights:\n    reader: [authenticated]\n")
    site_dir.write("apps/notes/blocks/note.yaml", "elements:\n  text: TEXT\n")
    return site_dir


def basic(name, password=PASSWORD, **extra):
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return Client().get("/api/v1/notes/records", HTTP_AUTHORIZATION=f"Basic {token}", **extra)


def address(n: int) -> dict:
    """A different client address for each attempt: the per-address limit stays out of the way."""
    return {"REMOTE_ADDR": f"198.51.{n // 250}.{n % 250 + 1}"}


def assert_429(response):
    assert response.status_code == 429, response.content
    wait = int(response["Retry-After"])
    assert 0 < wait <= WINDOW
    assert response.json() == {
        "error": "too many failed password checks for this account or address; "
        f"try again in {wait} seconds"
    }


def events(kind) -> int:
    return SecurityEvent.objects.filter(kind=kind).count()


# --- HTTP Basic -------------------------------------------------------------------------------


def test_forty_wrong_basic_passwords_get_429_after_five_and_then_the_right_one_waits(
    api_site, user_factory, caplog
):
    user_factory("tom")
    caplog.set_level(logging.INFO, logger="accounts")
    answers = [basic("tom", f"guess-{n}", **address(n)) for n in range(40)]
    for response in answers[:LIMIT]:
        assert response.status_code == 401
        assert response.json() == BASIC_REFUSED
    for response in answers[LIMIT:]:
        assert_429(response)
    assert 295 <= int(answers[LIMIT]["Retry-After"]) <= WINDOW
    # The right password, from yet another address, waits as well.
    assert_429(basic("tom", **address(99)))
    # Each failure and each refusal is logged and in the audit trail, with its address.
    assert events(Kind.BASIC_FAILED) == LIMIT
    assert events(Kind.BASIC_REFUSED) == 40 - LIMIT + 1
    first = SecurityEvent.objects.filter(kind=Kind.BASIC_FAILED).order_by("id").first()
    assert (first.username, first.address) == ("tom", "198.51.0.1")
    assert "basic_failed: tom from 198.51.0.1: wrong user name or password" in caplog.text
    assert "password check refused for 'tom' from 198.51.0.6" in caplog.text


def test_the_basic_limit_ends_with_the_window(api_site, user_factory, monkeypatch):
    user_factory("tom")
    for n in range(LIMIT):
        basic("tom", "wrong", **address(n))
    assert_429(basic("tom", **address(50)))
    later = time.time() + WINDOW + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert basic("tom", **address(51)).status_code == 200


def test_a_right_password_does_not_reset_the_count(api_site, user_factory):
    """Successes between guesses give back only their own attempt (as allauth's form does)."""
    user_factory("tom")
    for n in range(LIMIT - 1):
        assert basic("tom", "wrong", **address(2 * n)).status_code == 401
        assert basic("tom", **address(2 * n + 1)).status_code == 200
    assert basic("tom", "wrong", **address(20)).status_code == 401
    assert_429(basic("tom", **address(21)))


def test_one_address_guessing_many_accounts_is_limited_too(api_site, user_factory):
    for n in range(12):
        user_factory(f"u{n}")
    client = {"REMOTE_ADDR": "203.0.113.9"}
    answers = [basic(f"u{n}", "wrong", **client).status_code for n in range(12)]
    assert answers == [401] * 10 + [429] * 2
    # Another address is not affected.
    assert basic("u11", **address(1)).status_code == 200


def test_accounts_that_do_not_exist_are_limited_alike(api_site, db):
    answers = [basic("ghost", "wrong", **address(n)).status_code for n in range(LIMIT + 1)]
    assert answers == [401] * LIMIT + [429]


def test_user_name_case_and_e_mail_share_the_account_s_limit(api_site, user_factory):
    user_factory("tom", email="tom@example.com")
    for n, name in enumerate(["tom", "TOM", "Tom", "tom@example.com", "TOM@example.com"]):
        assert basic(name, "wrong", **address(n)).status_code == 401
    assert_429(basic("tom", **address(10)))
    assert_429(basic("tom@example.com", **address(11)))


# --- the login form and Basic: one limit ------------------------------------------------------


def test_a_lockout_by_the_form_holds_for_basic(api_site, user_factory):
    user_factory("tom")
    for n in range(LIMIT):
        response = login(Client(**address(n)), "tom", "wrong")
        assert response.context["form"].errors["__all__"] == [WRONG_LOGIN]
    assert_429(basic("tom", **address(20)))
    assert events(Kind.LOGIN_FAILED) == LIMIT
    assert events(Kind.BASIC_REFUSED) == 1


def test_a_lockout_by_basic_holds_for_the_form(api_site, user_factory):
    user_factory("tom")
    for n in range(LIMIT):
        assert basic("tom", "wrong", **address(n)).status_code == 401
    client = Client(**address(20))
    refused = login(client, "tom")
    assert refused.status_code == 200
    assert refused.context["form"].errors["__all__"] == [TOO_MANY_LOGINS]
    assert client.session.get("_auth_user_id") is None
    assert events(Kind.LOGIN_REFUSED) == 1


def test_failures_by_form_and_basic_add_up(api_site, user_factory):
    user_factory("tom")
    for n in range(3):
        login(Client(**address(n)), "tom", "wrong")
    for n in range(3, LIMIT):
        assert basic("tom", "wrong", **address(n)).status_code == 401
    assert_429(basic("tom", **address(10)))
    blocked = login(Client(**address(11)), "tom")
    assert blocked.context["form"].errors["__all__"] == [TOO_MANY_LOGINS]


def test_the_form_s_account_limit_does_not_depend_on_the_host_header(api_site, user_factory):
    """allauth keyed it by host and port: a new port for each guess went through."""
    user_factory("tom")
    errors = []
    for n in range(7):
        client = Client(HTTP_HOST=f"testserver:{8000 + n}", **address(n))
        response = login(client, "tom", "wrong")
        assert response.wsgi_request.get_host() == f"testserver:{8000 + n}"
        errors.append(list(response.context["form"].errors["__all__"]))
    assert errors == [[WRONG_LOGIN]] * LIMIT + [[TOO_MANY_LOGINS]] * 2
    client = Client(HTTP_HOST="testserver:9999", **address(9))
    right = login(client, "tom")
    assert right.context["form"].errors["__all__"] == [TOO_MANY_LOGINS]
    assert client.session.get("_auth_user_id") is None
    assert_429(basic("tom", HTTP_HOST="testserver:7777", **address(10)))


def test_account_key_names_the_account_alone(user_factory):
    tom = user_factory("tom", email="tom@example.com")
    assert {
        tuple(passwords.account_keys(name)) for name in ("tom", "TOM", "ｔｏｍ", "tom@example.com")
    } == {(f"user:{tom.pk}",)}
    assert passwords.account_keys("Ｇhost") == ["login:ghost"]


# --- a second factor: the same 401, right password or wrong ------------------------------------


@pytest.fixture(params=["device", "required_for"])
def factor_user(request, api_site, user_factory):
    """A user who has a second factor, or whom `auth.otp.required_for` names (no device yet)."""
    if request.param == "device":
        user = user_factory("fay", with_totp=True)
    else:
        user = user_factory("fay", groups=["finance"])
    return user


def test_basic_answers_a_factor_user_alike_for_right_and_wrong_passwords(factor_user):
    right = basic("fay", **address(1))
    wrong = basic("fay", "wrong", **address(2))
    for response in (right, wrong):
        assert response.status_code == 401
        assert response.json() == BASIC_REFUSED
        assert response["WWW-Authenticate"] == WWW
    assert right.content == wrong.content
    assert sorted(right.headers.items()) == sorted(wrong.headers.items())
    # ... the same as for a wrong password of anyone else.
    assert basic("nobody", "wrong", **address(3)).content == right.content


def test_right_passwords_of_a_factor_user_count_against_the_limit(factor_user):
    """Were a right password not counted, the 429 would come later and confirm it."""
    for n in range(LIMIT):
        assert basic("fay", **address(n)).status_code == 401
    assert_429(basic("fay", **address(10)))
    assert_429(basic("fay", "wrong", **address(11)))
    assert events(Kind.BASIC_FAILED) == LIMIT


def test_the_audit_trail_tells_the_administrator_when_the_password_was_right(factor_user):
    basic("fay", **address(1))
    basic("fay", "wrong", **address(2))
    details = list(
        SecurityEvent.objects.filter(kind=Kind.BASIC_FAILED)
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert details == [
        "HTTP Basic for a user with a second factor (the password was right)",
        "HTTP Basic for a user with a second factor (the password was wrong)",
    ]


# --- every name that reaches an account shares its limit (issue 10 follow-up, F1) -------------


@pytest.fixture
def carol_and_eve(api_site, user_factory, api_client):
    """eve2 (the lower id) adds carol9's address, which an administrator set, to her account."""
    eve = user_factory("eve2", email="eve2@example.com")
    carol = user_factory("carol9", email="carol9@corp.example")
    added = api_client(eve).post(
        "/accounts/email/", {"email": "carol9@corp.example", "action_add": ""}
    )
    assert added.status_code == 302
    assert eve.pk < carol.pk
    cache.clear()
    return carol, eve


def test_a_locked_account_is_refused_through_an_address_another_user_added(carol_and_eve):
    for n in range(LIMIT):
        assert basic("carol9", "wrong", **address(n)).status_code == 401
    for n, name in enumerate(
        ["carol9", "CAROL9", "ｃａｒｏｌ９", "carol9@corp.example", "Carol9@Corp.Example"]
    ):
        assert_429(basic(name, **address(20 + n)))


def test_failures_through_a_shared_address_count_against_every_account_it_reaches(
    carol_and_eve,
):
    for n in range(LIMIT):
        assert basic("carol9@corp.example", "wrong", **address(n)).status_code == 401
    # Not a second set of 5 guesses charged to eve2 alone: carol9 is locked, and eve2 too.
    assert_429(basic("carol9", **address(20)))
    assert_429(basic("eve2", **address(21)))
    assert_429(basic("carol9@corp.example", **address(22)))


def test_the_form_refuses_a_locked_account_through_an_address_another_user_added(
    carol_and_eve,
):
    for n in range(LIMIT):
        login(Client(**address(n)), "carol9", "wrong")
    for n, name in enumerate(["carol9@corp.example", "CAROL9"]):
        client = Client(**address(20 + n))
        refused = login(client, name)
        assert refused.context["form"].errors["__all__"] == [TOO_MANY_LOGINS]
        assert client.session.get("_auth_user_id") is None


def test_form_failures_through_a_shared_address_lock_its_holder(carol_and_eve):
    for n in range(LIMIT):
        login(Client(**address(n)), "carol9@corp.example", "wrong")
    client = Client(**address(20))
    refused = login(client, "carol9")
    assert refused.context["form"].errors["__all__"] == [TOO_MANY_LOGINS]
    assert client.session.get("_auth_user_id") is None
    assert_429(basic("carol9", **address(21)))


def test_a_second_factor_of_whoever_added_the_address_does_not_shut_its_holder_out(
    carol_and_eve,
):
    carol, eve = carol_and_eve
    eve.set_password("eve-s-own-pw-2")
    eve.save()
    add_totp(eve)
    assert basic("carol9@corp.example", **address(1)).status_code == 200
    assert basic("carol9@corp.example", "wrong", **address(2)).json() == BASIC_REFUSED


def test_a_right_password_is_refused_when_its_user_s_own_count_is_used_up(
    carol_and_eve, monkeypatch
):
    """Whatever the name looked up, the user the password authenticated is checked too."""
    for n in range(LIMIT):
        basic("carol9", "wrong", **address(n))
    # A name the lookup does not tie to carol9 (as a backend of another kind might accept).
    monkeypatch.setattr(passwords, "accounts_named", lambda login: [])
    assert_429(basic("carol9", **address(20)))
    client = Client(**address(21))
    refused = login(client, "carol9")
    assert refused.context["form"].errors["__all__"] == [TOO_MANY_LOGINS]
    assert client.session.get("_auth_user_id") is None


def test_a_password_reset_clears_only_its_own_account_s_count(carol_and_eve):
    """eve2 resets her own password: carol9's address among hers unlocks nobody else."""
    for n in range(LIMIT):
        basic("carol9@corp.example", "wrong", **address(n))
    client = Client(**address(20))
    client.post("/accounts/password/reset/", {"email": "eve2@example.com"})
    link = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body
    ).group(1)
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    new = "a-new-pw-for-eve-2"
    done = client.post(action, {"password1": new, "password2": new})
    assert done["Location"] == "/accounts/password/reset/key/done/"
    assert basic("eve2", new, **address(21)).status_code == 200
    assert_429(basic("carol9", **address(22)))
    assert_429(basic("carol9@corp.example", **address(23)))


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrent writers are PostgreSQL's: SQLite's take turns (and its test database, "
    "in memory with a shared cache, refuses a second writer instead of queueing it)",
)
@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_sent_at_once_get_no_more_than_the_limit(api_site, user_factory, settings):
    """Production's database cache without Redis (site_config/cache.py), ten wrong passwords
    sent at once from ten addresses (regression): each check reads and writes the count under
    allauth's cache lock (an `add`), so five are checked and the rest refused."""
    settings.CACHES = {
        "default": {
            "BACKEND": "site_config.cache.SharedDatabaseCache",
            "LOCATION": settings.SHARED_CACHE_TABLE,
        }
    }
    user_factory("ann")
    start = threading.Barrier(10, timeout=10)

    def attempt(n: int) -> int:
        try:
            start.wait()
            return basic("ann", "wrong", **address(n)).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(10) as pool:
        statuses = sorted(pool.map(attempt, range(10)))
    assert statuses == [401] * LIMIT + [429] * 5
