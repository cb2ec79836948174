"""A fresh sign-in and a step-up second factor (contract §11), through HTTP: pages, blocks,
element calls on the HTML routes and over the API, the code prompt of an ACTION, the limit
on wrong codes, the audit trail."""

from __future__ import annotations

import html
import json

import pytest
from django.urls import reverse

from accounts import otp, stepup, tokens
from accounts.models import SecurityEvent
from tests.helpers import PASSWORD, code_for, login

pytestmark = pytest.mark.django_db

PAYROLL_API = "/api/v1/hr/blocks/payroll/total"
APPROVE_API = "/api/v1/hr/blocks/orders/approve"
FRESH_API = "/api/v1/hr/blocks/fresh/who"
STEP_UP = "/accounts/2fa/step-up/"
REAUTHENTICATE = "/accounts/reauthenticate/"
BLOCK = "/apps/hr/blocks/{}/"


@pytest.fixture
def hr_site(site_dir):
    return write_hr_site(site_dir)


def write_hr_site(site_dir):
    """hr/payroll (second_factor 10), hr/orders (its ACTION approve: 5), hr/fresh
    (fresh_login), hr/probe (no key; shows context.user_fresh), hr/quick (target: ajax, its
    ACTION bump: 5); pages /pay/, /orders/, /fresh/ (fresh_login), /plain/ and /quick/."""
    site_dir.write("apps/hr/settings.yaml", "title: HR\n")
    site_dir.write(
        "apps/hr/blocks/payroll.yaml",
        "second_factor: {within: 10}\nelements:\n  total: BASIC\n",
    )
    site_dir.write("apps/hr/blocks/payroll.py", "def total(context):\n    return 'payroll 1234'\n")
    site_dir.write(
        "apps/hr/blocks/orders.yaml",
        "elements:\n  status: BASIC\n  approve:\n    type: ACTION\n"
        "    second_factor: {within: 5}\n",
    )
    site_dir.write(
        "apps/hr/blocks/orders.py",
        "def status(context):\n    return 'order 7 waiting'\n\n"
        "def approve(context):\n    return '/approved/' + context.params.get('order', '')\n",
    )
    site_dir.write("apps/hr/blocks/fresh.yaml", "fresh_login: true\nelements:\n  who: BASIC\n")
    site_dir.write(
        "apps/hr/blocks/fresh.py",
        "def who(context):\n    user = context.get_user(allow_remembered=False)\n"
        "    return user.username if user else 'nobody'\n",
    )
    site_dir.write("apps/hr/blocks/probe.yaml", "elements:\n  fresh: BASIC\n")
    site_dir.write(
        "apps/hr/blocks/probe.py",
        "def fresh(context):\n    user = context.get_user(allow_remembered=False)\n"
        "    return f'fresh={context.user_fresh} user={user.username if user else None}'\n",
    )
    site_dir.write(
        "apps/hr/blocks/quick.yaml",
        "target: ajax\nelements:\n  bump:\n    type: ACTION\n    second_factor: {within: 5}\n",
    )
    site_dir.write("apps/hr/blocks/quick.py", "def bump(context):\n    return '/plain/'\n")
    site_dir.write("pages/quick.yaml", "blocks: [hr/quick]\n")
    site_dir.write("pages/pay.yaml", "blocks: [hr/payroll]\n")
    site_dir.write("pages/orders.yaml", "blocks: [hr/orders]\n")
    site_dir.write("pages/fresh.yaml", "fresh_login: true\nblocks: [hr/probe]\n")
    site_dir.write("pages/plain.yaml", "blocks: [hr/probe]\n")
    return site_dir


class Later:
    """accounts.stepup's clock, moved on by `later.move(minutes=...)`."""

    def __init__(self, monkeypatch):
        self.offset = 0.0
        real = stepup._now
        monkeypatch.setattr(stepup, "_now", lambda: real() + self.offset)

    def move(self, *, minutes: float) -> None:
        self.offset += minutes * 60


@pytest.fixture
def later(monkeypatch):
    return Later(monkeypatch)


def signed_in_with_code(client, user):
    """Log in through the form and the code step, "remember me" ticked."""
    first = login(client, user.username, remember="on")
    assert first.status_code == 302 and first["Location"].startswith("/accounts/2fa/login/")
    done = client.post("/accounts/2fa/login/", {"code": code_for(user.totp_device)})
    assert done.status_code == 302, done.content
    return client


def step_up_url(next_url: str) -> str:
    return stepup.url_for(stepup.Need.CODE, next_url)


# --- step-up: pages, blocks, elements, the API ------------------------------------------------


def test_step_up_is_not_asked_within_the_window_and_is_after_it(
    hr_site, user_factory, client, later
):
    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=9)
    assert b"payroll 1234" in client.get("/pay/").content
    assert client.get(BLOCK.format("payroll")).status_code == 200
    assert client.get(BLOCK.format("payroll") + "total/").content == b"payroll 1234"
    assert client.get(PAYROLL_API).json() == "payroll 1234"

    later.move(minutes=2)  # 11 minutes after the code
    page = client.get("/pay/")
    assert (page.status_code, page["Location"]) == (302, step_up_url("/pay/"))
    block = client.get(BLOCK.format("payroll"))
    assert block["Location"] == step_up_url(BLOCK.format("payroll"))
    element = client.get(BLOCK.format("payroll") + "total/")
    assert element["Location"] == step_up_url(BLOCK.format("payroll") + "total/")
    api = client.get(PAYROLL_API)
    assert api.status_code == 401
    assert api.json() == {
        "error": "second factor required",
        "step_up": step_up_url(BLOCK.format("payroll")),
    }
    # A block without the key is not held back.
    assert client.get("/plain/").status_code == 200


def test_the_code_page_sends_back_and_opens_the_window_again(hr_site, user_factory, client, later):
    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=30)
    prompt = client.get(step_up_url("/pay/"))
    assert prompt.status_code == 200
    assert "Confirm it is you" in prompt.content.decode()
    back = client.post(STEP_UP, {"code": code_for(ann.totp_device, ahead=1), "next": "/pay/"})
    assert (back.status_code, back["Location"]) == (302, "/pay/")
    assert b"payroll 1234" in client.get("/pay/").content
    assert client.get(PAYROLL_API).status_code == 200
    later.move(minutes=11)
    assert client.get("/pay/").status_code == 302


def test_a_record_page_and_file_of_a_step_up_block_ask_too(hr_site, user_factory, client, later):
    from records import store
    from site_model.loader import current_site

    hr_site.write("apps/hr/settings.yaml", "acl:\n  rights:\n    reader: [authenticated]\n")
    ann = user_factory("ann", with_totp=True)
    app = current_site().apps["hr"]
    store.record_create(app=app, items={"note": "x"}, record_id="r1", block=app.blocks["payroll"])
    signed_in_with_code(client, ann)
    assert client.get("/apps/hr/records/r1/").status_code == 200
    file = "/apps/hr/records/r1/files/doc/"
    assert client.get(file).status_code == 404  # within the window: there is no such file
    later.move(minutes=11)
    page = client.get("/apps/hr/records/r1/")
    assert page["Location"] == step_up_url("/apps/hr/records/r1/")
    assert client.get(file)["Location"] == step_up_url(file)  # asked before anything is looked up


def test_a_backup_code_does_for_a_step_up(hr_site, user_factory, client, later):
    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=30)
    back = client.post(STEP_UP, {"code": ann.backup_codes[0], "next": "/pay/"})
    assert back["Location"] == "/pay/"
    assert client.get("/pay/").status_code == 200


def test_an_action_asks_the_code_then_runs(hr_site, user_factory, client, later):
    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=6)
    # Only the action has second_factor: the page and its other element are not held back.
    assert b"order 7 waiting" in client.get("/orders/").content
    assert client.get(BLOCK.format("orders") + "status/").status_code == 200

    asked = client.post(BLOCK.format("orders"), {"approve": "", "order": "7", "next": "/orders/"})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Confirm it is you" in html
    assert f'action="{BLOCK.format("orders")}"' in html
    assert '<input type="hidden" name="order" value="7">' in html
    assert '<input type="hidden" name="approve" value="">' in html

    wrong = client.post(
        BLOCK.format("orders"), {"approve": "", "order": "7", "_second_factor_code": "000000x"}
    )
    assert wrong.status_code == 400
    assert otp.ERRORS["wrong_code"] in wrong.content.decode()

    ran = client.post(
        BLOCK.format("orders"),
        {"approve": "", "order": "7", "_second_factor_code": code_for(ann.totp_device, ahead=1)},
    )
    assert (ran.status_code, ran["Location"]) == (302, "/approved/7")
    # Within the window the action runs at once, on the element route and over the API too.
    again = client.post(BLOCK.format("orders") + "approve/", {"order": "8"})
    assert again["Location"] == "/approved/8"
    assert client.post(APPROVE_API, {"order": "9"}, content_type="application/json").json() == (
        "/approved/9"
    )


def test_an_ajax_block_gets_the_prompt_in_its_place(hr_site, user_factory, client, later):
    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=6)
    asked = client.post(
        BLOCK.format("quick"), {"bump": "", "next": "/quick/"}, HTTP_HX_REQUEST="true"
    )
    assert asked.status_code == 200
    html = asked.content.decode()
    # The fragment alone, named as the block is, so that the page swaps it in.
    assert html.startswith('<section class="block step-up" data-app="hr" data-block="quick"')
    assert '<input type="hidden" name="next" value="/quick/">' in html
    ran = client.post(
        BLOCK.format("quick"),
        {"bump": "", "next": "/quick/", "_second_factor_code": code_for(ann.totp_device, 1)},
    )
    assert ran["Location"] == "/plain/"


def test_an_action_over_the_api_after_the_window_is_401_naming_the_code_page(
    hr_site, user_factory, client, later
):
    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=6)
    answer = client.post(APPROVE_API, {"order": "9"}, content_type="application/json")
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "second factor required",
        "step_up": step_up_url(BLOCK.format("orders")),
    }
    # The element route on the HTML surface prompts for the code instead of running.
    prompt = client.post(BLOCK.format("orders") + "approve/", {"order": "9"})
    assert prompt.status_code == 200 and "Confirm it is you" in prompt.content.decode()


def test_a_user_without_a_device_is_sent_to_set_one_up(hr_site, user_factory, api_client):
    client = api_client(user_factory("bob"))
    page = client.get("/pay/")
    assert page["Location"] == stepup.url_for(stepup.Need.SET_UP, "/pay/")
    assert page["Location"] == "/accounts/2fa/?next=%2Fpay%2F"
    answer = client.get(PAYROLL_API)
    assert answer.status_code == 401
    assert answer.json()["step_up"] == "/accounts/2fa/?next=%2Fapps%2Fhr%2Fblocks%2Fpayroll%2F"
    # The step-up page itself sends there too.
    assert client.get(step_up_url("/pay/"))["Location"] == "/accounts/2fa/?next=%2Fpay%2F"


def test_setting_a_device_up_counts_as_a_code_given(hr_site, user_factory, api_client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = api_client(user_factory("bob"))
    client.get("/accounts/2fa/")
    device = TOTPDevice.objects.get(user__username="bob")
    client.post("/accounts/2fa/", {"code": code_for(device), "next": "/pay/"})
    assert client.get("/pay/").status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in(hr_site, client):
    page = client.get("/pay/")
    assert page["Location"] == "/accounts/login/?next=%2Fpay%2F"
    assert client.get(PAYROLL_API).status_code == 401


def test_a_token_or_basic_caller_is_refused_a_step_up_block(hr_site, user_factory, client):
    ann = user_factory("ann", with_totp=True)
    bob = user_factory("bob")
    _, raw = tokens.create_token(ann, name="script")
    message = (
        "you may not call element 'total' of block 'hr/payroll' with a token or HTTP Basic: "
        "it asks for a recent sign-in or second factor, which only a browser session can give"
    )
    for headers in ({"HTTP_AUTHORIZATION": f"Bearer {raw}"}, _basic("bob")):
        answer = client.get(PAYROLL_API, **headers)
        assert answer.status_code == 403
        assert answer.json() == {"error": message}
    assert bob  # a user without a second factor may use Basic, yet not here
    # The block without the key answers both.
    assert client.get("/api/v1/hr/blocks/probe/fresh", **_basic("bob")).status_code == 200


def _basic(username):
    from tests.helpers import basic

    return basic(username)


def test_wrong_step_up_codes_meet_the_second_factor_limit(hr_site, user_factory, client, later):
    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=30)
    statuses = [
        client.post(STEP_UP, {"code": "999999x", "next": "/pay/"}).status_code
        for _ in range(otp.MAX_WRONG_CODES)
    ]
    assert statuses == [400] * otp.MAX_WRONG_CODES
    refused = client.post(STEP_UP, {"code": code_for(ann.totp_device, ahead=1), "next": "/pay/"})
    assert refused.status_code == 429
    assert "Too many wrong codes. Wait" in refused.content.decode()
    # The action's prompt counts in the same limit.
    action = client.post(
        BLOCK.format("orders"),
        {"approve": "", "_second_factor_code": code_for(ann.totp_device, ahead=2)},
    )
    assert action.status_code == 429
    assert client.get("/pay/").status_code == 302


def test_every_step_up_is_in_the_audit_trail(hr_site, user_factory, client, later):
    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=30)
    client.post(STEP_UP, {"code": "999999x", "next": "/pay/"})
    client.post(STEP_UP, {"code": code_for(ann.totp_device, ahead=1), "next": "/pay/"})
    rows = list(
        SecurityEvent.objects.filter(username="ann").order_by("id").values_list("kind", "detail")
    )
    assert rows == [
        (SecurityEvent.Kind.SECOND_FACTOR_FAILED, "wrong code (step-up)"),
        (SecurityEvent.Kind.STEP_UP, "second factor given"),
    ]


def test_a_trusted_sign_in_stands_for_a_code_given_then(hr_site, user_factory, api_client, later):
    hr_site.write("settings.yaml", "auth:\n  otp:\n    trusted_methods: [saml]\n")
    client = api_client(user_factory("carol"))
    session = client.session
    session[otp.LOGIN_METHOD_SESSION_KEY] = "saml"
    session[stepup.SIGNED_IN_AT_SESSION_KEY] = stepup._now()
    session.save()
    assert client.get("/pay/").status_code == 200
    later.move(minutes=11)
    assert client.get("/pay/")["Location"] == "/accounts/2fa/?next=%2Fpay%2F"
    # A way of signing in that settings.yaml does not trust stands for nothing.
    later.move(minutes=-11)
    hr_site.write("settings.yaml", "auth:\n  otp:\n    trusted_methods: [ldap]\n")
    assert client.get("/pay/").status_code == 302


@pytest.mark.parametrize("trusted", [True, False])
def test_a_certificate_sign_in_follows_trusted_methods(
    hr_site, user_factory, client, later, settings, trusted
):
    """A client certificate a trusted proxy verified signs carol in (accounts.certificates);
    with `trusted_methods: [certificate]` the sign-in stands for a code given then."""
    methods = "[certificate]" if trusted else "[]"
    hr_site.write(
        "settings.yaml",
        f"auth:\n  certificates: {{email: true}}\n  otp:\n    trusted_methods: {methods}\n",
    )
    settings.TRUSTED_PROXIES = ["127.0.0.2"]
    user_factory("carol")
    proxy = {
        "REMOTE_ADDR": "127.0.0.2",
        "HTTP_X_SSL_CLIENT_VERIFY": "SUCCESS",
        "HTTP_X_SSL_CLIENT_S_DN": "emailAddress=carol@example.com,CN=Carol",
    }
    first = client.get("/pay/", **proxy)
    if trusted:
        assert first.status_code == 200
        later.move(minutes=11)
        assert client.get("/pay/", **proxy)["Location"] == "/accounts/2fa/?next=%2Fpay%2F"
    else:
        assert first["Location"] == "/accounts/2fa/?next=%2Fpay%2F"
    # The certificate's sign-in was a sign-in in this browser: fresh.
    assert client.get("/fresh/", **proxy).status_code == 200


# --- fresh sign-in ----------------------------------------------------------------------------


def new_browser(client) -> None:
    """The browser ended and started again: its cookies without an expiry are gone; the
    remembered session's cookie stays."""
    del client.cookies[stepup.BROWSER_COOKIE]


def test_a_remembered_session_is_sent_to_sign_in_again_then_let_through(
    hr_site, user_factory, client
):
    user_factory("dan")
    assert login(client, "dan", remember="on").status_code == 302
    assert client.cookies[stepup.BROWSER_COOKIE]["max-age"] == ""  # ends with the browser
    assert client.get("/fresh/").status_code == 200
    assert b"fresh=True user=dan" in client.get("/plain/").content

    new_browser(client)
    refused = client.get("/fresh/")
    assert (refused.status_code, refused["Location"]) == (
        302,
        f"{REAUTHENTICATE}?next=%2Ffresh%2F",
    )
    assert b"fresh=False user=None" in client.get("/plain/").content
    assert client.get(BLOCK.format("fresh"))["Location"] == (
        f"{REAUTHENTICATE}?next=%2Fapps%2Fhr%2Fblocks%2Ffresh%2F"
    )
    answer = client.get(FRESH_API)
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "fresh sign-in required",
        "login": f"{REAUTHENTICATE}?next=%2Fapps%2Fhr%2Fblocks%2Ffresh%2F",
    }

    form = client.get(refused["Location"])
    assert form.status_code == 200 and "Sign in again" in form.content.decode()
    wrong = client.post(REAUTHENTICATE, {"password": "wrong", "next": "/fresh/"})
    assert wrong.status_code == 200
    assert client.get("/fresh/").status_code == 302
    again = client.post(REAUTHENTICATE, {"password": PASSWORD, "next": "/fresh/"})
    assert (again.status_code, again["Location"]) == (302, "/fresh/")
    assert client.get("/fresh/").status_code == 200
    assert client.get(FRESH_API).json() == "dan"


def test_a_mark_from_another_session_does_not_make_a_session_fresh(hr_site, user_factory, client):
    user_factory("dan")
    user_factory("eve")
    login(client, "eve", remember="on")
    eves_mark = client.cookies[stepup.BROWSER_COOKIE].value
    client.post("/accounts/logout/")
    login(client, "dan", remember="on")
    client.cookies[stepup.BROWSER_COOKIE] = eves_mark
    assert client.get("/fresh/").status_code == 302


def test_fresh_login_refuses_a_token_and_takes_basic(hr_site, user_factory, client):
    dan = user_factory("dan")
    _, raw = tokens.create_token(dan, name="script")
    answer = client.get(FRESH_API, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.status_code == 403
    assert client.get(FRESH_API, **_basic("dan")).json() == "dan"  # the password, given now


def test_an_anonymous_visitor_of_a_fresh_login_page_is_sent_to_sign_in(hr_site, client):
    assert client.get("/fresh/")["Location"] == "/accounts/login/?next=%2Ffresh%2F"


def test_reauthenticate_is_the_projects_route():
    assert reverse("account_reauthenticate") == REAUTHENTICATE


def test_the_description_names_the_step_up_answers(hr_site, user_factory, client, later):
    import jsonschema

    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=30)
    document = client.get("/api/v1/hr/openapi.json").json()
    paths = document["paths"]
    payroll = paths["/hr/blocks/payroll/total"]["get"]["responses"]
    assert payroll["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StepUpError"
    }
    assert paths["/hr/blocks/orders/approve"]["post"]["responses"]["401"] == payroll["401"]
    for plain in ("/hr/blocks/orders/status", "/hr/blocks/probe/fresh"):
        assert "StepUpError" not in json.dumps(paths[plain])
    schemas = document["components"]["schemas"]
    jsonschema.validate(client.get(PAYROLL_API).json(), schemas["StepUpError"])
    new_browser(client)
    jsonschema.validate(client.get(FRESH_API).json(), schemas["StepUpError"])


# --- speed ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/plain/",  # no key: context.user_fresh read by its block code
        "/pay/",  # second_factor, within the window
        "/orders/",  # an ACTION's second_factor, not run
        "/apps/hr/blocks/payroll/total/",
        "/api/v1/hr/blocks/payroll/total",
        "/api/v1/hr/blocks/probe/fresh",
    ],
)
def test_the_keys_cost_no_query(
    hr_site, user_factory, client, later, path, django_assert_max_num_queries
):
    """The session and its user (one query), django-otp's device of a verified session (one):
    the same two whether a page or block uses these keys or not."""
    signed_in_with_code(client, user_factory("ann", with_totp=True))
    client.get(path)  # the site folder read
    with django_assert_max_num_queries(2):
        assert client.get(path).status_code == 200


def test_a_page_without_the_keys_costs_no_query_for_a_remembered_session(
    hr_site, user_factory, client, django_assert_max_num_queries
):
    user_factory("dan")
    login(client, "dan", remember="on")
    new_browser(client)
    client.get("/plain/")
    with django_assert_max_num_queries(1):  # the session and its user
        assert b"fresh=False" in client.get("/plain/").content


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_approve_action_asks_an_admin_for_a_code(settings, client, later):
    import io

    from django.conf import settings as django_settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from records.models import Record
    from tests.helpers import add_totp

    settings.SITE_DIR = django_settings.BASE_DIR
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    admin = get_user_model().objects.get(username="admin")
    admin.totp_device, _ = add_totp(admin)
    first = login(client, "admin", password=_demo_password())
    assert first["Location"].startswith("/accounts/2fa/login/")
    client.post("/accounts/2fa/login/", {"code": code_for(admin.totp_device)})
    later.move(minutes=6)
    assert b"6 waiting for approval" in client.get("/sales/").content
    asked = client.post("/apps/sales/blocks/approval/", {"approve": "", "next": "/sales/"})
    assert "Confirm it is you" in asked.content.decode()
    assert not Record.objects.filter(app_id="sales", items__approved=True).exists()
    done = client.post(
        "/apps/sales/blocks/approval/",
        {"approve": "", "next": "/sales/", "_second_factor_code": code_for(admin.totp_device, 1)},
    )
    assert done["Location"] == "/sales/"
    assert b"Every sale is approved." in client.get("/sales/").content


def _demo_password() -> str:
    from web.management.commands.seed_demo import DEMO_USERS

    return next(password for name, password, *_ in DEMO_USERS if name == "admin")


def test_a_user_without_a_password_signs_out_and_in_again(hr_site, user_factory, api_client):
    erin = user_factory("erin")
    erin.set_unusable_password()
    erin.save()
    client = api_client(erin)  # a session with no mark: not signed in in this browser
    asked = client.get("/fresh/")
    assert asked["Location"] == f"{REAUTHENTICATE}?next=%2Ffresh%2F"
    page = client.get(asked["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sign out and sign in again" in html
    assert 'name="next" value="/accounts/login/?next=%2Ffresh%2F"' in html
    out = client.post("/accounts/logout/", {"next": "/accounts/login/?next=%2Ffresh%2F"})
    assert out["Location"] == "/accounts/login/?next=%2Ffresh%2F"
    assert client.get("/fresh/")["Location"] == "/accounts/login/?next=%2Ffresh%2F"


def test_a_refused_form_is_not_shown_on_a_page_that_asks_a_step_up_first(
    hr_site, user_factory, client, later
):
    """A form of another app on /mix/ beside the step-up block payroll: an invalid post comes
    back on the page it was sent from, which must not hold payroll's content while the
    session owes a code (issue 27)."""
    hr_site.write(
        "apps/desk/settings.yaml",
        "acl:\n  rights:\n    reader: [authenticated]\n    author: [authenticated]\n",
    )
    hr_site.write("apps/desk/blocks/note.yaml", "elements:\n  text: {type: TEXT, required: true}\n")
    hr_site.write("pages/mix.yaml", "blocks: [desk/note, hr/payroll]\n")
    ann = user_factory("ann", with_totp=True)
    signed_in_with_code(client, ann)
    later.move(minutes=11)
    assert client.get("/mix/").status_code == 302
    refused = client.post(
        BLOCK.replace("hr", "desk").format("note"), {"_save": "1", "next": "/mix/"}
    )
    assert refused.status_code == 400
    assert b"payroll 1234" not in refused.content
    assert b"required" in refused.content.lower()


def test_the_demo_approval_list_shows_a_customer_stored_as_any_json_value(settings, client):
    """The API takes any JSON value for a TEXT item; the demo's list of waiting sales showed
    the block's error box (a 500 on its element route) for a customer stored as a list."""
    import io

    from django.conf import settings as django_settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from records import store
    from site_model.loader import current_site

    settings.SITE_DIR = django_settings.BASE_DIR
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    app = current_site().apps["sales"]
    store.record_create(app=app, items={"customer": ["Acme", "Ltd"], "amount": 1}, record_id="odd")
    client.force_login(get_user_model().objects.get(username="admin"))
    answer = client.get("/apps/sales/blocks/approval/waiting/")
    assert answer.status_code == 200, answer.content
    shown = html.unescape(answer.content.decode())
    assert "block-error" not in shown and shown.endswith("Wonka, ['Acme', 'Ltd'].")
