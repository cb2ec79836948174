"""The visitor's language through HTTP (contract §13): the switcher's cookie, the user's saved
choice, Accept-Language, the site's default; headers; the API the same in every language."""

import pytest

from accounts.models import SecurityEvent, UserLanguage

pytestmark = pytest.mark.django_db

SITE = "title: Shop\nlanguages: [en, fr, de]\n"


@pytest.fixture
def shop(site_dir):
    site_dir.write("settings.yaml", SITE)
    site_dir.write("pages/index.yaml", "title: {en: Home, fr: Accueil, de: Start}\n")
    return site_dir


def lang_of(response) -> str:
    assert response.status_code == 200
    return response.headers["Content-Language"]


def test_default_is_the_first_language(client, site_dir):
    site_dir.write("settings.yaml", "languages: [fr, en]\n")
    site_dir.write("pages/index.yaml", "title: {en: Home, fr: Accueil}\n")
    response = client.get("/")
    assert lang_of(response) == "fr"
    assert '<html lang="fr">' in response.content.decode()
    assert "<title>Accueil" in response.content.decode()


def test_no_languages_is_english(client, site_dir):
    site_dir.write("pages/index.yaml", "title: Home\n")
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert lang_of(response) == "en"
    assert 'name="language"' not in response.content.decode()  # no switcher for one language


def test_accept_language_best_match_among_the_sites_languages(client, shop):
    assert lang_of(client.get("/", HTTP_ACCEPT_LANGUAGE="es, fr-CH;q=0.9, de;q=0.8")) == "fr"
    assert lang_of(client.get("/", HTTP_ACCEPT_LANGUAGE="es, it")) == "en"
    assert lang_of(client.get("/", HTTP_ACCEPT_LANGUAGE="de-AT")) == "de"


def test_pages_vary_on_accept_language(client, shop):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert "Accept-Language" in response.headers["Vary"]
    assert response.headers["Content-Language"] == "de"


def test_switcher_sets_the_cookie_which_wins_over_accept_language(client, shop):
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert response.cookies["language"].value == "de"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert lang_of(page) == "de"
    assert "<title>Start" in page.content.decode()


def page_text(response) -> tuple[str, str, str]:
    """(Content-Language, the page's title, its sign-in link) of the home page."""
    html = response.content.decode()
    title = html.split("<title>", 1)[1].split(" ·", 1)[0]
    login = (
        "Se connecter" if ">Se connecter</a>" in html else "Log in" if ">Log in</a>" in html else ""
    )
    return lang_of(response), title, login


def test_the_same_page_in_en_then_fr_by_switcher_header_and_saved_choice(
    client, shop, user_factory
):
    """Each way of choosing turns the same page from English to French, its texts with it."""
    english, french = ("en", "Home", "Log in"), ("fr", "Accueil", "Se connecter")
    # the switcher
    assert page_text(client.get("/")) == english
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert page_text(client.get("/")) == french
    # Accept-Language, in a new browser
    client.cookies.clear()
    assert page_text(client.get("/", HTTP_ACCEPT_LANGUAGE="en")) == english
    assert page_text(client.get("/", HTTP_ACCEPT_LANGUAGE="fr")) == french
    # the signed-in user's saved choice (its sign-in link gone: the title alone tells)
    UserLanguage.objects.create(user=user_factory("ann"), language="fr")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert page_text(client.get("/")) == english
    client.cookies.clear()
    client.force_login(UserLanguage.objects.get().user)
    assert page_text(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))[:2] == french[:2]


def test_a_cookie_of_a_language_the_site_does_not_offer_is_ignored(client, site_dir):
    site_dir.write("settings.yaml", "languages: [en, fr]\n")
    site_dir.write("pages/index.yaml", "title: Home\n")
    client.cookies["language"] = "de"
    assert lang_of(client.get("/", HTTP_ACCEPT_LANGUAGE="fr")) == "fr"


def test_switcher_is_in_the_chrome(client, shop):
    html = client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    assert 'name="language" value="fr" lang="fr"' in html
    assert ">Français</button>" in html and ">Deutsch</button>" in html


def test_a_signed_in_users_choice_is_saved_and_used_in_a_new_browser(
    client, shop, user_factory, django_user_model
):
    from django.test import Client

    ann = user_factory("ann")
    client.force_login(ann)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert UserLanguage.objects.get(user=ann).language == "fr"
    elsewhere = Client()
    assert lang_of(elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="de")) == "de"  # not signed in
    elsewhere.force_login(ann)
    assert lang_of(elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="de")) == "fr"  # saved > header


def test_the_cookie_wins_over_the_saved_choice(client, shop, user_factory):
    ann = user_factory("ann")
    UserLanguage.objects.create(user=ann, language="fr")
    client.force_login(ann)
    assert lang_of(client.get("/")) == "fr"
    client.cookies["language"] = "de"
    assert lang_of(client.get("/")) == "de"


def test_an_anonymous_switch_saves_nothing(client, shop):
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert UserLanguage.objects.count() == 0


def test_switcher_only_posts(client, shop):
    assert client.get("/i18n/setlang/?language=fr").status_code == 405


def test_switcher_does_not_redirect_away(client, shop):
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


API_APP = "acl:\n  rights:\n    reader: ['*']\n    author: ['*']\n"
API_BLOCK = """\
title: {en: Orders, fr: Commandes, de: Bestellungen}
elements:
  amount: {type: NUMBER, label: {en: Amount, fr: Montant, de: Betrag}, max: 500}
"""


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/v1", None),
        ("get", "/api/v1/shop", None),
        ("get", "/api/v1/shop/blocks/order", None),
        ("get", "/api/v1/shop/records", None),
        ("get", "/api/v1/nope/records", None),
        ("post", "/api/v1/shop/records", [{"block": "order", "amount": 600}]),
        ("post", "/api/v1/shop/records", [{"block": "order", "amount": "x"}]),
    ],
)
def test_api_answers_are_the_same_in_every_language(client, shop, method, path, body):
    shop.write("apps/shop/settings.yaml", API_APP)
    shop.write("apps/shop/blocks/order.yaml", API_BLOCK)
    answers = set()
    for language in ("en", "fr", "de"):
        client.cookies["language"] = language
        send = getattr(client, method)
        kwargs = {"content_type": "application/json", "data": body} if body else {}
        response = send(path, HTTP_ACCEPT_LANGUAGE=language, **kwargs)
        assert "Content-Language" not in response.headers
        assert "Accept-Language" not in response.headers.get("Vary", "")
        answers.add((response.status_code, response.content))
    assert len(answers) == 1, answers


# --- the project's texts in French and German (the .po files, compiled by conftest/make) ------


def order_site(site):
    site.write("apps/shop/settings.yaml", API_APP)
    site.write("apps/shop/blocks/order.yaml", API_BLOCK)
    site.write(
        "pages/index.yaml", "title: {en: Home, fr: Accueil, de: Start}\nblocks: [shop/order]\n"
    )


def test_a_french_page_has_its_chrome_and_texts_in_french(client, shop):
    order_site(shop)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<h1>Accueil</h1>" in html
    assert ">Se connecter</a>" in html and ">S’inscrire</a>" in html
    assert '<h2 class="block-title">Commandes</h2>' in html
    assert ">Montant</label>" in html
    assert ">Enregistrer</button>" in html
    for english in (">Log in<", ">Sign up<", ">Save<", ">Amount<", ">Orders<"):
        assert english not in html


def test_a_rule_message_on_a_form_is_in_french(client, shop):
    order_site(shop)
    response = client.post(
        "/apps/shop/blocks/order/", {"amount": "600", "_save": "1"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    assert "Montant doit valoir au plus 500." in response.content.decode()
    response = client.post(
        "/apps/shop/blocks/order/", {"amount": "beaucoup", "_save": "1"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert "Saisissez un nombre, pas « beaucoup »." in response.content.decode()


def test_the_same_rule_stays_english_in_the_api_for_a_french_visitor(client, shop):
    order_site(shop)
    client.cookies["language"] = "fr"
    response = client.post(
        "/api/v1/shop/records",
        [{"block": "order", "amount": 600}],
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.json() == {"error": "record 0: item 'amount': max: at most 500, found 600"}


def test_error_pages_in_german(client, shop, user_factory):
    shop.write("pages/secret.yaml", "view_permission: [admins]\n")
    response = client.get("/nothing-here/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Nicht gefunden</h1>" in html and "Zurück zur Startseite" in html
    client.force_login(user_factory("ann"))
    response = client.get("/secret/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Nicht erlaubt</h1>" in html
    assert "Sie sind als <strong>ann</strong> angemeldet." in html
    assert "Die Seite /secret/ ist für Sie nicht zugänglich." in html


def test_server_error_and_rate_limit_pages_in_german(rf, shop):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("de"):
        assert "<h1>Serverfehler</h1>" in render_to_string("500.html")
        request = rf.get("/")
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
        assert "<h1>Zu viele Versuche</h1>" in render_to_string("429.html", request=request)


def test_allauths_login_page_in_german(client, shop):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h1>Anmelden</h1>" in html
    assert "Passwort" in html  # allauth's own form label, from allauth's German catalogue
    assert "Registrieren" in html


def test_block_code_reads_context_language(client, shop):
    shop.write("apps/shop/blocks/hello.yaml", "elements:\n  greeting: BASIC\n")
    shop.write(
        "apps/shop/blocks/hello.py",
        "def greeting(context):\n"
        "    return {'en': 'Hello', 'fr': 'Bonjour', 'de': 'Hallo'}[context.language]\n",
    )
    shop.write("pages/index.yaml", "blocks: [shop/hello]\n")
    assert "Bonjour" in client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Hallo" in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Hello" in client.get("/").content.decode()


SITE_PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Order now"
msgstr "Commander"
"""


def test_a_layout_translates_with_the_sites_own_catalogue(client, shop, settings):
    import shutil
    import subprocess

    po = shop.write("locale/fr/LC_MESSAGES/django.po", SITE_PO)
    subprocess.run(  # noqa: S603
        [shutil.which("msgfmt"), "-o", str(po.with_suffix(".mo")), str(po)], check=True
    )
    settings.LOCALE_PATHS = [shop.root / "locale", *settings.LOCALE_PATHS]
    shop.write("apps/shop/blocks/promo.yaml", "elements: {}\n")
    shop.write(
        "apps/shop/blocks/promo.html",
        '{% load i18n %}<p class="promo">{% translate "Order now" %}</p>\n',
    )
    shop.write("pages/index.yaml", "blocks: [shop/promo]\n")
    assert (
        '<p class="promo">Commander</p>'
        in client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )
    assert '<p class="promo">Order now</p>' in client.get("/").content.decode()


def test_dates_and_numbers_in_the_visitors_locale_values_unchanged(client, shop):
    from records.models import Record

    shop.write("apps/shop/settings.yaml", API_APP)
    shop.write(
        "apps/shop/blocks/order.yaml",
        "elements:\n  amount: NUMBER\n  day: DATE\n  paid: BOOLEAN\n",
    )
    shop.write("pages/index.yaml", "blocks: [shop/order]\n")
    client.post(
        "/apps/shop/blocks/order/",
        {"amount": "1234.5", "day": "2026-07-01", "paid": "on", "_save": "1"},
    )
    record = Record.objects.get()
    url = f"/apps/shop/records/{record.record_id}/"
    fr = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    de = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    en = client.get(url).content.decode()
    assert "1234,5" in fr and "01/07/2026" in fr and "Oui" in fr
    assert "1234,5" in de and "01.07.2026" in de and "Ja" in de
    assert "1234.5" in en and "2026-07-01" in en
    api = client.get(f"/api/v1/shop/record/{record.record_id}", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert (api["amount"], api["day"], api["paid"]) == (1234.5, "2026-07-01", True)


CHROME_WORDS = (
    ">Log in<",
    ">Sign up<",
    ">Log out<",
    ">Account<",
    "Signed in as",
    ">Save<",
    ">Edit<",
    ">Delete<",
    "Not found",
    "Back to the home page",
    "Nothing to show yet",
    "No account yet?",
    "Already have an account?",
    "Do you want to log out?",
    "E-mail addresses",
    "Change password",
    "Reset your password",
    "Sign in again",
    # the pages of the features merged after the languages: profile, People, history, data
    ">Profile<",
    ">People<",
    ">Search<",
    ">Change<",
    "Invite a user",
    "Send invitation",
    "Set by the site's user managers",
    "Back to the record",
    ">History<",
    ">Restore<",
    ">Old<",
    "(current)",
    "import and export",
    ">Export<",
    ">Import<",
    "Check the file",
    "A row whose id exists",
    "View as…",
    "The records you may read",
    # texts other code writes into the pages: a chart's headings, the history's how
    "Month of",
    "(month)",
    "(none)",
    "via form",
    "Export the events",
)


@pytest.mark.parametrize(
    ("path", "signed_in"),
    [
        ("/", False),
        ("/events/", False),
        ("/events/", True),
        ("/ratings/", False),
        ("/accounts/login/", False),
        ("/accounts/signup/", False),
        ("/accounts/logout/", True),
        ("/accounts/email/", True),
        ("/accounts/password/change/", True),
        ("/accounts/password/reset/", False),
        ("/no-such-page/", False),
    ],
)
def test_the_demo_in_french_shows_no_english_chrome(client, user_factory, path, signed_in):
    """The demo site (the repository's own folder) walked in French."""
    if signed_in:
        client.force_login(user_factory("dora"))
    html = client.get(path, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr">' in html
    assert [word for word in CHROME_WORDS if word in html] == []


def test_the_demo_s_account_and_record_pages_in_french_show_no_english_chrome(client, user_factory):
    """The profile page, People (as one of `user_managers: [admins]`), a user on it, an event's
    History (two versions, so a Restore button), the events' data page and their page (its chart
    grouping the event, which has no start), walked in French."""
    from records.models import Record

    ada = user_factory("ada", groups=["admins"])
    user_factory("bob")
    client.force_login(ada)
    client.post(
        "/apps/events/blocks/event/",
        {"title": "Party", "seats": "10", "_save": "1"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    record = Record.objects.get()
    record_url = f"/apps/events/records/{record.record_id}/"
    edited = client.post(
        record_url + "edit/",
        {"title": "Big party", "seats": "20", "_save": "1", "_etag": record.etag},
    )
    assert edited.status_code in (200, 302, 303), edited.content.decode()[:500]
    paths = [
        "/events/",
        "/accounts/profile/",
        "/people/",
        "/people/bob/",
        record_url,
        record_url + "history/",
        "/apps/events/data/",
    ]
    for path in paths:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
        html = response.content.decode()
        assert response.status_code == 200, path
        assert '<html lang="fr">' in html, path
        assert [word for word in CHROME_WORDS if word in html] == [], path
    history = client.get(record_url + "history/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Restaurer" in history and "Historique" in history
    assert (
        "Importer" in client.get("/apps/events/data/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    )


def test_the_preview_banner_and_view_as_control_in_french(client, user_factory):
    """A manager of the events app (admins) previews /events/ as another user, in French."""
    client.force_login(user_factory("ada", groups=["admins"]))
    user_factory("bob")
    events = client.get("/events/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Voir en tant que…" in events and "View as…" not in events
    preview = client.get("/preview/bob/events/", HTTP_ACCEPT_LANGUAGE="fr")
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Vous voyez cette page telle que" in html and "Ne plus voir en tant que bob" in html
    assert "You are viewing this page" not in html
    refused = client.post("/preview/bob/events/", HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 403
    assert "Rien ne peut être modifié pendant l’aperçu" in refused.content.decode()
    # The audit trail keeps the refusal in English, whatever the visitor's language.
    row = SecurityEvent.objects.get(kind=SecurityEvent.Kind.PREVIEW_REFUSED)
    assert row.detail == "POST: Nothing can be changed while previewing a page as another user."
