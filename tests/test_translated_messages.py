"""Texts that other code writes into a page, in the visitor's language (contract §13): each
rule a form can break, the store's refusals, a preview's refusal and its reason, a chart's
headings, the history page; and the same refusals still in English for the JSON API."""

import json
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import SecurityEvent
from records import store
from records.models import Record
from site_model.loader import current_site
from tests.helpers import NEW_PASSWORD

pytestmark = pytest.mark.django_db

# Words and fragments of the English messages (rules, Django's fields, the store): none may be
# left in a French message. Whole words, so that French "valide" is not English "valid".
ENGLISH = re.compile(
    r"\b(must|at most|at least|found|is required|enter|select|valid|not one of|one of|"
    r"characters|match|or later|or earlier|names|ticked|no record|in app|uploads|capped|yours|"
    r"this file|may not|you do not|superuser|item|owner|written by|version)\b",
    re.IGNORECASE,
)


def english_in(message: str) -> list[str]:
    return ENGLISH.findall(message)


def field_errors(html: str) -> dict[str, str]:
    """Each `.field-error` of a form, by its field's element id."""
    found = re.findall(r'id="f-[\w-]+?-(\w+)-error" role="alert">([^<]*)<', html)
    return {element: unescape(message) for element, message in found}


def reason_of(html: str) -> str:
    found = re.search(r'<p class="reason">(.*?)</p>', html, re.S)
    return unescape(found.group(1)) if found else ""


# --- the demo's own form (the repository's site folder), every rule it has, in French --------

DEMO_EVENT = {"_save": "1", "title": "Fête", "seats": "10", "kind": "party"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Titre est obligatoire."),
        ("title", "x" * 81, "Titre doit compter au plus 80 caractères."),
        ("seats", "0", "Places doit valoir au moins 1."),
        ("seats", "501", "Places doit valoir au plus 500."),
        ("seats", "beaucoup", "Saisissez un nombre, pas « beaucoup »."),
        ("kind", "gala", "Sélectionnez un choix valide. gala n’en fait pas partie."),
        ("signup_by", "demain", "Saisissez une date sous la forme AAAA-MM-JJ, pas « demain »."),
        (
            "starts",
            "demain",
            "Saisissez une date et une heure sous la forme AAAA-MM-JJTHH:MM, pas « demain ».",
        ),
    ],
)
def test_the_demo_s_event_form_says_each_broken_rule_in_french(
    client, user_factory, field, value, message
):
    client.force_login(user_factory("dora"))
    response = client.post(
        "/apps/events/blocks/event/", {**DEMO_EVENT, field: value}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    errors = field_errors(response.content.decode())
    assert errors == {field: message}
    assert english_in(message) == []


def test_the_demo_s_upload_cap_in_french(client, user_factory, settings):
    settings.MAX_UPLOADS_BYTES_PER_USER = 2**20
    client.force_login(user_factory("dora"))
    poster = SimpleUploadedFile("poster.txt", b"x" * (2**20 + 1))
    response = client.post(
        "/apps/events/blocks/event/", {**DEMO_EVENT, "poster": poster}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 400
    message = field_errors(response.content.decode())["poster"]
    assert message == (
        "Les fichiers envoyés sont limités à 1 Mo par utilisateur (MAX_UPLOADS_MB_PER_USER) ; "
        "les vôtres occupent 0 Mo et ce fichier fait 1 Mo."
    )
    assert english_in(message) == []


def test_the_demo_s_field_permission_refusal_in_french(client, user_factory):
    """Bob may not write the sales' margin (admins only): a forged post of it is refused with
    a 403 page whose reason is French."""
    client.force_login(user_factory("bob"))
    response = client.post(
        "/apps/sales/blocks/sale/",
        {"_save": "1", "customer": "Acme", "amount": "10", "margin": "3"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 403
    reason = reason_of(response.content.decode())
    assert reason == "vous ne pouvez pas modifier l’élément « margin » de l’application « sales »"
    assert english_in(reason) == []


def test_the_demo_s_charts_and_history_in_french(client, user_factory):
    """An event without a start: its chart's group is "(aucune valeur)", headed by the grouped
    item's label and its bucket; the history says how and when, in French."""
    client.force_login(user_factory("dora"))
    client.post("/apps/events/blocks/event/", DEMO_EVENT)
    html = client.get("/events/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    table = re.search(r'<table class="chart-data">(.*?)</table>', html, re.S).group(1)
    assert '<th scope="col">Début (mois)</th>' in table
    assert '<th scope="row">(aucune valeur)</th>' in table
    assert "(none)" not in html and "Month of" not in html
    assert "Exporter les événements" in html
    english = client.get("/events/").content.decode()
    assert '<th scope="col">Starts at (month)</th>' in english
    assert '<th scope="row">(none)</th>' in english
    record = Record.objects.get()
    history = client.get(
        f"/apps/events/records/{record.record_id}/history/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert '<span class="via">via le formulaire</span>' in history
    at = record.created.astimezone().strftime("%d/%m/%Y")
    assert re.search(rf"<time datetime=\"[^\"]+\">{at} \d\d:\d\d</time>", history)
    assert "via form" not in history


def test_a_chart_title_by_language_on_the_page_and_english_in_the_api(client, site_dir):
    site_dir.write("settings.yaml", "languages: [en, fr]\n")
    site_dir.write("apps/shop/settings.yaml", "acl:\n  rights:\n    reader: ['*']\n")
    site_dir.write(
        "apps/shop/blocks/days.yaml",
        "elements:\n  day: {type: DATE, index_type: field}\n"
        "  per_day: {type: CHART, group_by: day, value: count, "
        "title: {en: Per day, fr: Par jour}}\n",
    )
    site_dir.write("pages/index.yaml", "blocks: [shop/days]\n")
    store.record_create(app=current_site().apps["shop"], items={"block": "days"}, user=None)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<figcaption>Par jour</figcaption>" in html
    config = json.loads(unescape(re.search(r'data-chart="([^"]+)"', html).group(1)))
    assert config["series"] == {"Par jour": [1]} and config["labels"] == ["(aucune valeur)"]
    api = client.get("/api/v1/shop/blocks/days/per_day", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert api == {"labels": ["(none)"], "series": {"Per day": [1]}}


def test_the_demo_s_choice_labels_in_the_visitor_s_language_values_unchanged(client, user_factory):
    """The events' kind: its choices by language in the form and on the record's page; the
    value stored and sent over the API is the choice."""
    client.force_login(user_factory("dora"))
    form = client.get("/events/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<option value="talk">exposé</option>' in form
    assert '<option value="party">fête</option>' in form
    assert '<option value="talk">talk</option>' in client.get("/events/").content.decode()
    client.post("/apps/events/blocks/event/", {**DEMO_EVENT, "kind": "talk"})
    record = Record.objects.get()
    url = f"/apps/events/records/{record.record_id}/"
    shown = re.compile(r'<span class="value" data-element="kind">([^<]*)</span>')
    assert shown.findall(client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()) == ["exposé"]
    assert shown.findall(client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()) == ["Vortrag"]
    assert record.items["kind"] == "talk"
    api = client.get(f"/api/v1/events/record/{record.record_id}", HTTP_ACCEPT_LANGUAGE="fr")
    assert api.json()["kind"] == "talk"


def test_the_api_keeps_the_demo_s_refusals_in_english_for_a_french_visitor(client, user_factory):
    client.force_login(user_factory("bob"))
    client.cookies["language"] = "fr"
    response = client.post(
        "/api/v1/sales/records",
        [{"block": "sale", "customer": "Acme", "amount": 10, "margin": 3}],
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 403
    assert response.json() == {"error": "you may not write item 'margin' of app 'sales'"}


def test_a_kept_form_says_required_in_each_visitors_language(client, user_factory):
    """A block's form class is built once and kept: its "required" message follows each
    visitor's language, whoever came first."""
    client.force_login(user_factory("dora"))
    for language, message in (
        ("fr", "Titre est obligatoire."),
        ("en", "Title is required."),
        ("de", "Titel ist erforderlich."),
        ("fr", "Titre est obligatoire."),
    ):
        response = client.post(
            "/apps/events/blocks/event/",
            {**DEMO_EVENT, "title": ""},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert field_errors(response.content.decode()) == {"title": message}, language


# --- every other rule, on a site of its own ---------------------------------------------------

SITE = "title: Shop\nlanguages: [en, fr, de]\ngroups: [admins]\n"
APP = "acl:\n  rights:\n    reader: ['*']\n    author: ['*']\n"
BLOCK = """\
elements:
  code: {type: TEXT, label: {en: Code, fr: Code}, pattern: "[A-Z]{3}"}
  day: {type: DATE, label: {en: Day, fr: Jour}, min: 2020-01-01, max: 2030-12-31}
  contact: {type: EMAIL, label: {en: Contact, fr: Contact}}
  website: {type: URL, label: {en: Website, fr: Site}}
  agreed: {type: BOOLEAN, label: {en: Agreed, fr: Accord}, required: true}
  follows: {type: REFERENCE, label: {en: Follows, fr: Suite de}}
"""


@pytest.fixture
def shop(site_dir):
    site_dir.write("settings.yaml", SITE)
    site_dir.write("apps/shop/settings.yaml", APP)
    site_dir.write("apps/shop/blocks/order.yaml", BLOCK)
    site_dir.write("pages/index.yaml", "blocks: [shop/order]\n")
    return site_dir


@pytest.mark.parametrize(
    ("field", "value", "fr", "de"),
    [
        ("code", "abc", "Code doit correspondre à [A-Z]{3}.", "Code muss [A-Z]{3} entsprechen."),
        ("day", "2019-05-01", "Jour doit être le 2020-01-01 ou après.", None),
        ("day", "2031-01-01", "Jour doit être le 2030-12-31 ou avant.", None),
        ("contact", "ann", "Saisissez une adresse de courriel valide.", None),
        ("website", "nowhere", "Saisissez une URL valide.", None),
        ("agreed", "0", "Accord doit être coché.", "Agreed muss angekreuzt sein."),
        (
            "follows",
            "nothing",
            "Suite de ne désigne aucun enregistrement « nothing » de l’application « shop ».",
            "Follows nennt keinen Datensatz „nothing“ der App „shop“.",
        ),
    ],
)
def test_each_other_rule_in_french_and_german(client, shop, field, value, fr, de):
    sent = {"_save": "1", "agreed": "1", field: value}
    for language, message in (("fr", fr), ("de", de)):
        response = client.post("/apps/shop/blocks/order/", sent, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400
        found = field_errors(response.content.decode())[field]
        if message is not None:
            assert found == message
        assert english_in(found) == [], (language, found)


# --- a preview refused, in French, and its audit row in English -------------------------------


def test_a_preview_refused_with_its_reason_in_french(client, user_factory):
    """A manager of the events app (admins) may not preview the demo as a superuser: the 403
    page says why in French, the audit trail in English."""
    client.force_login(user_factory("ada", groups=["admins"]))
    user_factory("root", superuser=True)
    response = client.get("/preview/root/events/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 403
    reason = reason_of(response.content.decode())
    assert reason == (
        "Vous ne pouvez pas voir cette page en tant que root : "
        "root est superutilisateur ; vous ne l’êtes pas."
    )
    german = client.get("/preview/root/events/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert reason_of(german) == (
        "Sie dürfen diese Seite nicht als root ansehen: root ist Superuser, Sie nicht."
    )
    rows = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.PREVIEW_REFUSED)
    assert {row.detail for row in rows} == {
        "GET: You may not preview this page as root: root is a superuser; you are not."
    }


def test_a_preview_of_an_app_one_does_not_manage_refused_in_french(client, user_factory):
    """Bob manages no app: the page at /events/ is not his to preview."""
    client.force_login(user_factory("bob"))
    user_factory("ada")
    response = client.get("/preview/ada/events/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 403
    assert reason_of(response.content.decode()) == (
        "Vous ne pouvez pas avoir l’aperçu de la page /events/."
    )


def test_the_view_as_control_without_a_user_answers_in_french(client, user_factory):
    client.force_login(user_factory("ada", groups=["admins"]))
    response = client.get("/preview/?user=&path=/events/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert response.content.decode().startswith("Indiquez l’utilisateur")


# --- our own account messages -----------------------------------------------------------------


def test_a_taken_name_on_the_french_sign_up_page(client, user_factory):
    """The demo allows sign-up; a name already used is refused in French (accounts.names)."""
    user_factory("dora")
    response = client.post(
        "/accounts/signup/",
        {
            "username": "DORA",
            "email": "new@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ce nom est déjà pris. Choisissez-en un autre." in html
    assert "This name is taken" not in html
