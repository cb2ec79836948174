"""Errors where the builder looks (issue 14): error boxes with `path:line` in development, a
broken page file named by an error page, problems in the server log once per change."""

import logging

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(site_dir):
    """An app without `debug: true`: what a builder has before reading about the flag."""
    site_dir.write("apps/demo/blocks/hello.yaml", "title: Hello\nelements:\n  hi: BASIC\n")
    site_dir.write("apps/demo/blocks/hello.py", "def hi(context):\n    return 'hi there'\n")
    site_dir.write("apps/demo/blocks/bad.yaml", "elements:\n  x: BASIC\n")
    site_dir.write("apps/demo/blocks/bad.py", "def x(context):\n    return {}['missing']\n")
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [demo/bad, demo/hello]\n")
    return site_dir


BAD_BOX = (
    '<div class="block block-error" data-app="demo" data-block="bad" role="alert">'
    "<strong>Block demo/bad could not be shown.</strong>"
)
BAD_PROBLEM = "apps/demo/blocks/bad.py:2: error in x(): KeyError: &#x27;missing&#x27;"


# --- error boxes: details in development, to everyone; none in production --------------------


@pytest.mark.parametrize(("debug", "shown"), [(True, True), (False, False)])
def test_a_broken_block_shows_path_line_to_everyone_in_development(
    client, site, settings, debug, shown
):
    settings.DEBUG = debug
    response = client.get("/")  # an anonymous visitor
    html = response.content.decode()
    assert response.status_code == 200
    assert BAD_BOX in html
    assert (BAD_PROBLEM in html) is shown
    assert "hi there" in html


def test_the_apps_debug_flag_still_shows_details_in_production(client, site, settings):
    settings.DEBUG = False
    site.write("apps/demo/settings.yaml", "debug: true\n")
    assert BAD_PROBLEM in client.get("/").content.decode()


def test_a_block_alone_shows_its_problem_in_development(client, site, settings):
    settings.DEBUG = True
    response = client.get("/apps/demo/blocks/bad/")
    assert BAD_PROBLEM in response.content.decode()


@pytest.mark.parametrize(("debug", "shown"), [(True, True), (False, False)])
def test_a_page_naming_a_missing_block_says_which_one(client, site, settings, debug, shown):
    settings.DEBUG = debug
    site.write("pages/index.yaml", "title: Home\nblocks:\n  - demo/hello\n  - demo/helo\n")
    html = client.get("/").content.decode()
    assert "<strong>Block demo/helo could not be shown.</strong>" in html
    problem = "pages/index.yaml:4: block &#x27;demo/helo&#x27; not found; blocks in app &#x27;demo&#x27;: bad, hello"
    assert (problem in html) is shown


# --- a page whose file is broken -------------------------------------------------------------


@pytest.mark.parametrize(("debug", "shown"), [(True, True), (False, False)])
def test_a_broken_page_file_answers_an_error_page_naming_it(client, site, settings, debug, shown):
    settings.DEBUG = debug
    site.write("pages/index.yaml", "title: Home\nblocks: [demo/hello\n")
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>This page could not be shown</h1>" in html
    assert "Its file, <code>pages/index.yaml</code>, has a mistake." in html
    problem = "pages/index.yaml:3: bad YAML: expected &#x27;,&#x27; or &#x27;]&#x27;, but got &#x27;&lt;stream end&gt;&#x27;"
    assert (f"<li><code>{problem}</code></li>" in html) is shown
    assert "no page at" not in html


def test_a_broken_page_file_breaks_only_its_own_path(client, site):
    site.write("pages/events.yaml", "title: [\n")
    assert client.get("/events/").status_code == 500
    assert client.get("/").status_code == 200
    assert client.get("/nothing-here/").status_code == 404


def test_a_broken_page_file_with_its_own_path_answers_there(client, site):
    site.write("pages/reports.yaml", "path: /r/\ntitle: [\n")
    assert client.get("/r/").status_code == 500
    assert "<code>pages/reports.yaml</code>" in client.get("/r/").content.decode()
    assert client.get("/reports/").status_code == 404


def test_a_page_file_with_a_bad_key_still_serves_the_page(client, site):
    site.write("pages/index.yaml", "title: Home\ncolour: red\nblocks: [demo/hello]\n")
    response = client.get("/")
    assert response.status_code == 200
    assert "hi there" in response.content.decode()


# --- problems in the server's log, once per change -------------------------------------------


def test_problems_are_logged_once_per_change_of_the_folder(client, site, caplog):
    caplog.set_level(logging.INFO, logger="site_model.loader")
    site.write("pages/index.yaml", "title: Home\nblocks: [demo/hello, demo/helo]\n")
    client.get("/")
    client.get("/")
    client.get("/apps/demo/blocks/hello/")
    logged = [r.getMessage() for r in caplog.records if r.name == "site_model.loader"]
    assert logged == [
        "the site folder has 1 problem(s):\n"
        "  pages/index.yaml:2: block 'demo/helo' not found; blocks in app 'demo': bad, hello"
    ]
    caplog.clear()
    site.write("pages/index.yaml", "title: Home\nblocks: [demo/hello]\n")
    client.get("/")
    client.get("/")
    logged = [r.getMessage() for r in caplog.records if r.name == "site_model.loader"]
    assert logged == ["the site folder has no problems left"]
