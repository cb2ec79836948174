"""docs/tutorial.md, followed step by step in Chromium: the files it shows are the files we write."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
FENCE = re.compile(r"^```\w*\n(.*?)^```", re.MULTILINE | re.DOTALL)
FIRST_LINE = re.compile(r"^(?:# |\{# )(\S+?)(?: #\})?$")


def tutorial_steps() -> list[dict[str, str]]:
    """Step -> {path: text} for each fenced file whose first line names its path."""
    steps = []
    for section in TUTORIAL.read_text().split("\n## Step ")[1:]:
        files = {}
        for body in FENCE.findall(section):
            first, _, rest = body.partition("\n")
            named = FIRST_LINE.match(first.strip())
            if named:
                files[named.group(1)] = rest
        steps.append(files)
    return steps


def test_tutorial_has_four_steps_with_files():
    steps = tutorial_steps()
    assert [sorted(step) for step in steps] == [
        ["pages/index.yaml", "settings.yaml"],
        [
            "apps/rating/blocks/count.yaml",
            "apps/rating/blocks/like.html",
            "apps/rating/blocks/like.py",
            "apps/rating/blocks/like.yaml",
            "pages/index.yaml",
        ],
        [
            "apps/rating/blocks/top.html",
            "apps/rating/blocks/top.py",
            "apps/rating/blocks/top.yaml",
            "pages/about.yaml",
            "pages/index.yaml",
        ],
        ["apps/rating/settings.yaml", "pages/members.yaml"],
    ]


def test_following_the_tutorial(page, site_dir, live_server, user_factory, log_in, client):
    from site_model.loader import current_site

    steps = tutorial_steps()
    site_dir.remove("settings.yaml")

    def do_step(number):
        for rel, text in steps[number - 1].items():
            site_dir.write(rel, text)
        assert [str(p) for p in current_site().problems] == []

    do_step(1)
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Home")
    expect(page.locator("header .brand")).to_have_text("Likes")
    shots = {1: page.screenshot()}

    do_step(2)
    page.goto("/")
    likes = page.locator("[data-block=like] .likes")
    expect(likes).to_have_text("0")
    page.evaluate("window.samePage = true")
    page.click("button[name=like]")
    expect(likes).to_have_text("1")
    page.click("button[name=like]")
    expect(likes).to_have_text("2")
    assert page.evaluate("window.samePage") is True
    shots[2] = page.screenshot()

    do_step(3)
    page.goto("/about/")
    page.click("button[name=like]")
    expect(page.locator("[data-block=like] .likes")).to_have_text("1")
    page.click("button[name=like]")
    expect(page.locator("[data-block=like] .likes")).to_have_text("2")
    page.click("button[name=like]")
    expect(page.locator("[data-block=like] .likes")).to_have_text("3")
    page.goto("/")
    expect(page.locator(".top-pages li")).to_have_text(["/about/: 3", "/: 2"])
    shots[3] = page.screenshot()

    assert client.get("/api/v1/rating/records").status_code == 401  # no ACL yet: managers only
    do_step(4)
    records = client.get("/api/v1/rating/records")
    assert records.status_code == 200
    assert sorted(r["items"]["likes"] for r in records.json()) == [2, 3]
    expect(page.locator("nav.pages")).not_to_contain_text("Members")
    page.goto("/members/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/members/$"))
    user_factory("reader")
    log_in(page, "reader", "pw-for-tests-1")
    page.goto("/members/")
    expect(page.locator("h1")).to_have_text("Members")
    expect(page.locator(".top-pages li")).to_have_count(2)
    shots[4] = page.screenshot()

    out = Path(__file__).resolve().parents[2] / "test-artifacts"
    out.mkdir(exist_ok=True)
    for number, png in shots.items():
        (out / f"tutorial-step{number}.png").write_bytes(png)


def test_the_curl_that_promises_a_400_gets_it(client, settings, user_factory):
    """The tutorial's refused API call, on the demo site, with the credentials it shows."""
    from django.conf import settings as django_settings

    from tests.helpers import basic

    [line] = [line for line in TUTORIAL.read_text().splitlines() if line.startswith("curl -u")]
    username, password = re.search(r"-u (\S+?):(\S+)", line).groups()
    body = re.search(r"-d '(.*?)'", line).group(1)
    path = re.search(r"http://127\.0\.0\.1:8000(/\S+)", line).group(1)
    settings.SITE_DIR = django_settings.BASE_DIR
    user_factory(username, password=password)
    refused = client.post(  # curl -d sends its body as a form's content type
        path, body, content_type="application/x-www-form-urlencoded", **basic(username, password)
    )
    assert refused.status_code == 400
    assert "seats" in refused.json()["error"]
