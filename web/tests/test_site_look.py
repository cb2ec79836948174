"""A site's own look (issue 14): SITE_DIR/templates before the project's, SITE_DIR/static
served (and collected), the favicon."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(site_dir):
    site_dir.write("apps/demo/blocks/hello.yaml", "title: Hello\nelements:\n  hi: BASIC\n")
    site_dir.write("apps/demo/blocks/hello.py", "def hi(context):\n    return 'hi there'\n")
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [demo/hello]\n")
    return site_dir


# --- a site's own look -----------------------------------------------------------------------


def test_the_sites_templates_override_the_base_layout(client, site):
    site.write(
        "templates/base.html",
        """
        {% extends "base.html" %}
        {% block head %}<meta name="theme" content="ours">{% endblock %}
        """,
    )
    html = client.get("/").content.decode()
    assert '<meta name="theme" content="ours">' in html
    assert "hi there" in html  # the project's layout around it, extended


def test_an_edit_of_a_site_template_shows_on_the_next_request(client, site, settings):
    settings.DEBUG = True  # development: templates are read on every request
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"]}}
    ]
    settings.TEMPLATES[0]["OPTIONS"]["loaders"] = settings.TEMPLATE_LOADERS
    site.write("templates/page.html", "<p>first</p>")
    assert client.get("/").content.decode() == "<p>first</p>"
    site.write("templates/page.html", "<p>second</p>")
    assert client.get("/").content.decode() == "<p>second</p>"


def test_the_sites_templates_override_an_account_page(client, site):
    site.write(
        "templates/account/login.html",
        '{% extends "base.html" %}{% block content %}<h1>Our own login</h1>{% endblock %}',
    )
    html = client.get("/accounts/login/").content.decode()
    assert "<h1>Our own login</h1>" in html


def test_without_site_templates_the_projects_are_used(client, site):
    html = client.get("/accounts/login/").content.decode()
    assert "<h1>Log in</h1>" in html


def test_the_sites_static_files_are_served_and_site_css_is_linked(client, site, settings):
    settings.DEBUG = True  # development: WhiteNoise serves from the folders (production: below)
    site.write("static/site.css", "body { background: pink; }\n")
    site.write("static/img/logo.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    html = client.get("/").content.decode()
    assert '<link rel="stylesheet" href="/static/site.css">' in html
    css = client.get("/static/site.css")
    assert css.status_code == 200
    assert b"".join(css.streaming_content) == b"body { background: pink; }\n"
    assert client.get("/static/img/logo.svg").status_code == 200
    assert client.get("/static/%2E%2E/settings.yaml", follow=True).status_code == 404


def test_no_site_css_no_link(client, site):
    assert 'rel="stylesheet"' not in client.get("/").content.decode()


def test_collectstatic_copies_the_sites_static_files(site, tmp_path, settings):
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "collected"
    site.write("static/site.css", "body { color: teal; }\n")
    call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "collected" / "site.css").read_text() == "body { color: teal; }\n"
    assert (tmp_path / "collected" / "blocks" / "favicon.svg").is_file()


# --- the favicon -----------------------------------------------------------------------------


def test_favicon_ico_answers_the_projects_icon(client, site):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)


def test_favicon_ico_answers_the_sites_own_icon(client, site):
    site.write("static/favicon.ico", "ICO")
    response = client.get("/favicon.ico")
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content) == b"ICO"


def test_every_page_links_the_icon(client, site):
    assert '<link rel="icon" href="/static/blocks/favicon.svg">' in client.get("/").content.decode()


def test_the_sites_svg_icon_is_linked_instead(client, site):
    site.write("static/favicon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert '<link rel="icon" href="/static/favicon.svg">' in client.get("/").content.decode()
    assert client.get("/favicon.ico")["Content-Type"] == "image/svg+xml"


def test_pages_render_before_collectstatic_with_the_production_storage(
    client, site, settings, tmp_path
):
    settings.STATIC_ROOT = tmp_path / "not-collected"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    response = client.get("/")
    assert response.status_code == 200
    assert '<link rel="icon" href="/favicon.ico">' in response.content.decode()
