"""`context.app.log()` in the browser console of a debug app, whatever ran the code: a block's
rendering, an ACTION posted with or without ajax, `on_save` and `on_delete` (the page after
their redirect shows it), and nothing from an app without `debug`."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

CODE = """
def shown(context):
    context.app.log("rendered")
    return "shown"

def go(context):
    context.app.log("action " + ("ajax" if context.request.headers.get("HX-Request") else "page"))

def on_save(context):
    context.app.log("saved " + context.record.id)

def on_delete(context):
    context.app.log("deleted " + context.record.id)
"""


@pytest.fixture
def debug_site(site_dir, user_factory):
    site_dir.write("apps/notes/settings.yaml", "debug: true\nacl:\n  rights:\n    manager: ['*']\n")
    for name, ajax in (("plain", ""), ("quick", "target: ajax\n")):
        site_dir.write(
            f"apps/notes/blocks/{name}.yaml",
            f"{ajax}elements:\n  shown: BASIC\n  go: {{type: ACTION, label: Go}}\n  text: TEXT\n",
        )
        site_dir.write(f"apps/notes/blocks/{name}.py", CODE)
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [notes/plain, notes/quick]\n")
    user_factory("ann")
    return site_dir


@pytest.fixture
def console(page):
    said = []
    page.on("console", lambda message: said.append(message.text))
    return said


def logged(console, text):
    return [line for line in console if line.endswith(text)]


def test_a_rendering_logs_to_the_console(debug_site, page, console):
    page.goto("/")
    page.wait_for_load_state("load")
    assert logged(console, "rendered") == ["[notes/plain] rendered", "[notes/quick] rendered"]


def test_an_action_posted_as_a_page_logs_after_its_redirect(debug_site, page, console):
    page.goto("/")
    page.click("form[data-block=plain] button[name=go]")
    page.wait_for_url("**/")
    page.wait_for_load_state("load")
    assert logged(console, "action page") == ["[notes/plain] action page"]


def test_an_ajax_action_logs(debug_site, page, console):
    page.goto("/")
    page.evaluate("window.samePage = true")
    page.click("form[data-block=quick] button[name=go]")
    page.wait_for_function("document.querySelector('form[data-block=quick]') !== null")
    page.wait_for_timeout(500)
    assert page.evaluate("window.samePage") is True
    assert logged(console, "action ajax") == ["[notes/quick] action ajax"]


def test_on_save_and_on_delete_log_on_the_page_after(debug_site, page, console, log_in):
    log_in(page, "ann", "pw-for-tests-1")
    page.goto("/")
    page.fill("form[data-block=plain] input[name=text]", "hello")
    page.click("form[data-block=plain] button[name=_save]")
    page.wait_for_url("**/apps/notes/records/**")
    page.wait_for_load_state("load")
    [saved] = logged(console, "saved " + page.url.rstrip("/").rsplit("/", 1)[1])
    assert saved.startswith("[notes/plain] ")
    page.goto(page.url + "edit/")
    page.click("button[name=_delete]")
    page.click("form.confirm-delete button[type=submit]")
    page.wait_for_url("**/")
    page.wait_for_load_state("load")
    assert len([line for line in console if "] deleted " in line]) == 1


def test_an_app_without_debug_logs_nothing(debug_site, page, console):
    debug_site.write("apps/notes/settings.yaml", "acl:\n  rights:\n    manager: ['*']\n")
    page.goto("/")
    page.click("form[data-block=plain] button[name=go]")
    page.wait_for_url("**/")
    page.wait_for_load_state("load")
    assert [line for line in console if line.startswith("[notes/")] == []
