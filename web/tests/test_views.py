"""Pages, blocks and element calls through the test client (contract §2, §3, §5)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(site_dir):
    """A small site: a home page with several blocks, and the files to change them."""
    site_dir.write("apps/demo/settings.yaml", "debug: true\n")
    site_dir.write(
        "apps/demo/blocks/show.yaml",
        """
        title: Every element
        elements:
          plain: BASIC
          markup: BASIC
          items: BASIC
          like: {type: ACTION, label: Like it}
          name: {type: TEXT, label: Your name}
          amount: NUMBER
          due: {type: DATETIME, label: Due on}
        """,
    )
    site_dir.write(
        "apps/demo/blocks/show.py",
        """
        def on_display(context):
            context.shout = context.params.get("shout", "quiet")

        def plain(context):
            return "<script>alert(1)</script> & " + context.shout

        def markup(context):
            return context.html("<em>trusted</em>")

        def items(context):
            return ["a<b", "c"]

        def like(context):
            context.request.session["likes"] = context.request.session.get("likes", 0) + 1

        def name(context):
            return "Ann <3"
        """,
    )
    site_dir.write("pages/index.yaml", "title: Home\nblocks: [demo/show]\n")
    return site_dir


def test_default_layout_renders_every_element_type(client, demo):
    html = client.get("/").content.decode()
    assert (
        '<form method="post" class="block" action="/apps/demo/blocks/show/" data-app="demo" data-block="show"'
        in html
    )
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<h2 class="block-title">Every element</h2>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; quiet" in html
    assert "<script>alert(1)</script>" not in html
    assert "<em>trusted</em>" in html
    assert "[&#x27;a&lt;b&#x27;, &#x27;c&#x27;]" in html
    assert '<button type="submit" class="action" name="like" value="1">Like it</button>' in html
    assert (
        '<label for="f-demo-show-name">Your name</label><input type="text" name="name" id="f-demo-show-name" value="Ann &lt;3">'
        in html
    )
    assert '<input type="number" name="amount" id="f-demo-show-amount" value="" step="any">' in html
    assert '<input type="datetime-local" name="due" id="f-demo-show-due" value="">' in html
    assert '<button type="submit" class="action save" name="_save" value="1">Save</button>' in html


def test_layout_template_escapes_values_and_loops_over_lists(client, demo):
    demo.write(
        "apps/demo/blocks/show.html",
        "<div id=t>{{ plain }}|{{ markup }}|{% for i in items %}<i>{{ i }}</i>{% endfor %}|{{ like }}|{{ name }}|{{ actions.save }}</div>",
    )
    html = client.get("/").content.decode()
    assert (
        "<div id=t>&lt;script&gt;alert(1)&lt;/script&gt; &amp; quiet|<em>trusted</em>|<i>a&lt;b</i><i>c</i>|"
        '<button type="submit" class="action" name="like" value="1">Like it</button>|'
        '<span class="field"><label for="f-demo-show-name">Your name</label>'
        '<input type="text" name="name" id="f-demo-show-name" value="Ann &lt;3"></span>|'
        '<button type="submit" class="action save" name="_save" value="1">Save</button></div>'
    ) in html


def test_on_display_sets_context_for_the_elements(client, demo):
    assert "&amp; LOUD" in client.get("/?shout=LOUD").content.decode()


def test_block_alone(client, demo):
    response = client.get("/apps/demo/blocks/show/")
    assert response.status_code == 200
    assert 'data-block="show"' in response.content.decode()


def test_unknown_block_and_element_are_404(client, demo):
    assert client.get("/apps/demo/blocks/nope/").status_code == 404
    assert client.get("/apps/nope/blocks/show/").status_code == 404
    assert client.get("/apps/demo/blocks/show/nope/").status_code == 404
    assert client.get("/no-such-page/").status_code == 404


# --- actions -------------------------------------------------------------------------------


def test_action_without_url_goes_back_to_the_page(client, demo):
    response = client.post("/apps/demo/blocks/show/", {"like": "1", "next": "/?shout=x"})
    assert (response.status_code, response["Location"]) == (302, "/?shout=x")
    assert client.session["likes"] == 1


def test_action_returning_a_url_redirects_there(client, demo):
    demo.write("apps/demo/blocks/go.yaml", "elements:\n  go: ACTION\n")
    demo.write("apps/demo/blocks/go.py", "def go(context):\n    return '/somewhere/?x=1'\n")
    response = client.post("/apps/demo/blocks/go/", {"go": "1", "next": "/"})
    assert (response.status_code, response["Location"]) == (302, "/somewhere/?x=1")


def test_next_to_another_site_is_ignored(client, demo):
    response = client.post(
        "/apps/demo/blocks/show/", {"like": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/apps/demo/blocks/show/"


def test_post_without_an_action_is_400_naming_the_actions(client, demo):
    response = client.post("/apps/demo/blocks/show/", {"nothing": "1"})
    assert response.status_code == 400
    assert (
        response.content.decode()
        == "The form names no action of block demo/show; its actions: like."
    )


def test_ajax_action_answers_the_block_alone(client, demo):
    demo.write(
        "apps/demo/blocks/counter.yaml",
        "target: ajax\nelements:\n  count: BASIC\n  add: {type: ACTION, label: Add}\n",
    )
    demo.write(
        "apps/demo/blocks/counter.py",
        """
        def count(context):
            return context.request.session.get("n", 0)

        def add(context):
            context.request.session["n"] = count(context) + 1
        """,
    )
    demo.write("pages/index.yaml", "blocks: [demo/counter]\n")
    page = client.get("/").content.decode()
    assert 'hx-post="/apps/demo/blocks/counter/" hx-target="this" hx-swap="outerHTML"' in page
    response = client.post("/apps/demo/blocks/counter/", {"add": "1"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<form method="post" class="block" action="/apps/demo/blocks/counter/"')
    assert '<div class="element" data-element="count">1</div>' in html
    assert "<html" not in html


def test_ajax_action_returning_a_url_asks_the_browser_to_go(client, demo):
    demo.write("apps/demo/blocks/go.yaml", "target: ajax\nelements:\n  go: ACTION\n")
    demo.write("apps/demo/blocks/go.py", "def go(context):\n    return '/done/'\n")
    response = client.post("/apps/demo/blocks/go/", {"go": "1"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == "/done/"


# --- element calls -------------------------------------------------------------------------


def test_element_call_answers_a_value(client, demo):
    assert client.get("/apps/demo/blocks/show/plain/?shout=hey").content.decode() == (
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp; hey"
    )
    assert client.get("/apps/demo/blocks/show/markup/").content.decode() == "<em>trusted</em>"
    assert client.get("/apps/demo/blocks/show/items/").json() == ["a<b", "c"]


def test_element_call_runs_an_action_on_post(client, demo):
    response = client.post("/apps/demo/blocks/show/like/", {"next": "/"})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.session["likes"] == 1


def test_element_call_never_runs_an_action_on_get(client, demo):
    response = client.get("/apps/demo/blocks/show/like/")
    assert response.status_code == 200
    assert 'name="like"' in response.content.decode()
    assert "likes" not in client.session


# --- broken blocks -------------------------------------------------------------------------


def test_broken_block_shows_a_box_and_the_rest_of_the_page(client, demo):
    demo.write("apps/demo/blocks/bad.yaml", "elements:\n  x: BASIC\n")
    demo.write("apps/demo/blocks/bad.py", "def x(context):\n    return 1 +\n")
    demo.write("pages/index.yaml", "blocks: [demo/bad, demo/show]\n")
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        '<div class="block block-error" data-app="demo" data-block="bad" role="alert">'
        "<strong>Block demo/bad could not be shown.</strong>"
        '<ul class="problems"><li><code>apps/demo/blocks/bad.py:2: syntax error: invalid syntax</code></li></ul></div>'
    ) in html
    assert 'data-block="show"' in html


def test_error_details_only_in_debug_mode(client, demo):
    demo.write("apps/demo/settings.yaml", "debug: false\n")
    demo.write("apps/demo/blocks/bad.yaml", "elements:\n  x: BASIC\n")
    demo.write("apps/demo/blocks/bad.py", "def x(context):\n    return {}['missing']\n")
    demo.write("pages/index.yaml", "blocks: [demo/bad]\n")
    html = client.get("/").content.decode()
    assert "<strong>Block demo/bad could not be shown.</strong></div>" in html
    assert "bad.py" not in html


def test_runtime_error_in_element_function_names_file_and_line(client, demo):
    demo.write("apps/demo/blocks/bad.yaml", "elements:\n  x: BASIC\n")
    demo.write(
        "apps/demo/blocks/bad.py", "def x(context):\n    value = 1\n    return {}['missing']\n"
    )
    demo.write("pages/index.yaml", "blocks: [demo/bad]\n")
    html = client.get("/").content.decode()
    assert "apps/demo/blocks/bad.py:3: error in x(): KeyError: &#x27;missing&#x27;" in html


def test_template_render_error_names_the_html_line(client, demo):
    demo.write("apps/demo/blocks/show.html", "<p>\n{{ plain }}\n{% url 'no-such-route' %}\n")
    html = client.get("/").content.decode()
    assert "apps/demo/blocks/show.html:3: template error: NoReverseMatch" in html


def test_page_naming_a_missing_block_shows_a_box(client, demo):
    demo.write("pages/index.yaml", "blocks: [demo/gone, demo/show]\n")
    html = client.get("/").content.decode()
    assert "<strong>Block demo/gone could not be shown.</strong>" in html
    assert 'data-block="show"' in html


def test_a_broken_page_file_breaks_only_that_page(client, demo):
    demo.write("pages/other.yaml", "title: [\n")
    assert client.get("/").status_code == 200
    assert client.get("/other/").status_code == 500  # named, not "no page" (test_debug_errors.py)


def test_app_log_reaches_the_console_in_debug_mode(client, demo):
    demo.write("apps/demo/blocks/talk.yaml", "elements:\n  x: BASIC\n")
    demo.write(
        "apps/demo/blocks/talk.py",
        "def x(context):\n    context.app.log('hello </script>')\n    return 1\n",
    )
    demo.write("pages/index.yaml", "blocks: [demo/talk]\n")
    html = client.get("/").content.decode()
    assert (
        '<script type="application/json" class="console-log">'
        '[["[demo/talk]", "hello \\u003c/script\\u003e"]]</script>'
    ) in html
    demo.write("apps/demo/settings.yaml", "debug: false\n")
    assert 'class="console-log"' not in client.get("/").content.decode()


# --- hot reload through the page -----------------------------------------------------------


def test_edits_show_on_the_next_request(client, demo):
    assert "Every element" in client.get("/").content.decode()
    demo.write("apps/demo/blocks/show.yaml", "title: Renamed\nelements:\n  plain: BASIC\n")
    demo.write("apps/demo/blocks/show.py", "def plain(context):\n    return 'fresh value'\n")
    html = client.get("/").content.decode()
    assert "Renamed" in html and "fresh value" in html


def test_sign_up_link_follows_settings_yaml(client, site_dir):
    site_dir.write("pages/index.yaml", "title: Home\n")
    assert 'href="/accounts/signup/"' in client.get("/").content.decode()
    site_dir.write("settings.yaml", "title: Closed\nauth:\n  signup: false\n")
    assert 'href="/accounts/signup/"' not in client.get("/").content.decode()


def test_empty_form_leaves_out_computed_fields(client, site_dir):
    site_dir.write(
        "apps/demo/blocks/calc.yaml",
        "elements:\n  price: NUMBER\n  total: {type: NUMBER, label: Grand total, mode: COMPUTED_ON_SAVE}\n",
    )
    site_dir.write("apps/demo/blocks/calc.py", "def total(context):\n    return 0\n")
    html = client.get("/apps/demo/blocks/calc/").content.decode()
    assert 'name="price"' in html
    assert "Grand total" not in html


# --- every input gets a clear answer -----------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post", "options"])
def test_pages_answer_only_get_and_head(client, demo, method):
    assert getattr(client, method)("/").status_code == 405
    assert client.head("/").status_code == 200


def test_a_path_without_its_slash_is_redirected(client, demo):
    demo.write("pages/members.yaml", "title: Members\n")
    response = client.get("/members?x=1")
    assert (response.status_code, response["Location"]) == (301, "/members/?x=1")
    assert client.get("/apps/demo/blocks/show")["Location"] == "/apps/demo/blocks/show/"


def test_values_that_cannot_be_shown_give_the_error_box(client, demo):
    demo.write("apps/demo/blocks/odd.yaml", "elements:\n  bad: BASIC\n  loop: BASIC\n")
    demo.write(
        "apps/demo/blocks/odd.py",
        """
        class Bad:
            def __str__(self):
                raise RuntimeError("no text")

        def bad(context):
            return Bad()

        def loop(context):
            items = []
            items.append(items)
            return items
        """,
    )
    demo.write("pages/index.yaml", "blocks: [demo/odd, demo/show]\n")
    page = client.get("/")
    assert page.status_code == 200
    assert (
        "apps/demo/blocks/odd.yaml:1: cannot show an element&#x27;s value: RuntimeError: no text"
        in page.content.decode()
    )
    assert 'data-block="show"' in page.content.decode()
    loop = client.get("/apps/demo/blocks/odd/loop/")
    assert loop.status_code == 200
    assert (
        "apps/demo/blocks/odd.yaml:3: cannot show element &#x27;loop&#x27;: ValueError: Circular reference detected"
        in loop.content.decode()
    )


def test_a_hidden_block_with_broken_yaml_stays_hidden(client, demo):
    demo.write("apps/demo/blocks/secret.yaml", "view_permission: [admins]\nelements: [\n")
    demo.write("pages/index.yaml", "blocks: [demo/secret, demo/show]\n")
    html = client.get("/").content.decode()
    assert 'data-block="secret"' not in html
    assert client.get("/apps/demo/blocks/secret/")["Location"].startswith("/accounts/login/")


def test_a_hidden_block_does_not_reveal_its_element_names(client, demo, user_factory, api_client):
    demo.write("apps/demo/blocks/secret.yaml", "view_permission: [admins]\nelements:\n  x: BASIC\n")
    demo.write("apps/demo/blocks/secret.py", "def x(context):\n    return 1\n")
    stranger = api_client(user_factory("stranger"))
    assert stranger.get("/apps/demo/blocks/secret/x/").status_code == 403
    assert stranger.get("/apps/demo/blocks/secret/nope/").status_code == 403
    assert client.get("/apps/demo/blocks/secret/nope/").status_code == 302


def test_ajax_post_refused_for_an_anonymous_visitor_sends_the_browser_to_log_in(client, demo):
    demo.write(
        "apps/demo/blocks/secret.yaml",
        "target: ajax\nview_permission: [authenticated]\nelements:\n  go: ACTION\n",
    )
    demo.write("apps/demo/blocks/secret.py", "def go(context):\n    return '/'\n")
    response = client.post(
        "/apps/demo/blocks/secret/",
        {"go": "1"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/page/?a=1",
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/page/%3Fa%3D1"
