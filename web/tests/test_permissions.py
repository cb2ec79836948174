"""view_permission on pages, blocks and element calls, for each kind of principal (contract §5)."""

import pytest

pytestmark = pytest.mark.django_db

PRINCIPALS = {
    # principal -> (a visitor it names, a signed-in visitor it does not)
    "'*'": ("anonymous", None),
    "authenticated": ("bob", None),
    "bob": ("bob", "carol"),
    "Bob@Example.COM": ("bob", "carol"),
    "PurchaseDepartment": ("carol", "bob"),
}


@pytest.fixture
def people(user_factory):
    return {
        "bob": user_factory("bob", email="bob@example.com"),
        "carol": user_factory("carol", email="carol@example.com", groups=["PurchaseDepartment"]),
        "root": user_factory("root", superuser=True),
        "anonymous": None,  # api_client(None): a visitor not signed in
    }


@pytest.fixture
def guarded(site_dir):
    def write(principal):
        site_dir.write("apps/demo/blocks/open.yaml", "title: Open block\nelements:\n  x: BASIC\n")
        site_dir.write("apps/demo/blocks/open.py", "def x(context):\n    return 'open value'\n")
        site_dir.write(
            "apps/demo/blocks/secret.yaml",
            f"title: Secret block\nview_permission: [{principal}]\nelements:\n  x: BASIC\n  go: ACTION\n",
        )
        site_dir.write(
            "apps/demo/blocks/secret.py",
            "def x(context):\n    return 'secret value'\n\ndef go(context):\n    return '/went/'\n",
        )
        site_dir.write("pages/index.yaml", "title: Home\nblocks: [demo/open, demo/secret]\n")
        site_dir.write(
            "pages/private.yaml",
            f"title: Private\nview_permission: [{principal}]\nblocks: [demo/open]\n",
        )

    return write


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_page_allowed(api_client, people, guarded, principal):
    guarded(principal)
    allowed, _ = PRINCIPALS[principal]
    response = api_client(people[allowed]).get("/private/")
    assert response.status_code == 200
    assert "open value" in response.content.decode()


@pytest.mark.parametrize("principal", [p for p, (_, denied) in PRINCIPALS.items() if denied])
def test_page_denied_signed_in_is_403(api_client, people, guarded, principal):
    guarded(principal)
    _, denied = PRINCIPALS[principal]
    assert api_client(people[denied]).get("/private/").status_code == 403


@pytest.mark.parametrize("principal", [p for p in PRINCIPALS if p != "'*'"])
def test_page_denied_anonymous_redirects_to_login_with_next(client, guarded, principal):
    guarded(principal)
    response = client.get("/private/?a=1")
    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/private/%3Fa%3D1",
    )


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_block_on_page_shown_or_left_out(api_client, people, guarded, principal):
    guarded(principal)
    allowed, denied = PRINCIPALS[principal]
    shown = api_client(people[allowed]).get("/").content.decode()
    assert "secret value" in shown
    for visitor in ["anonymous", denied] if principal != "'*'" else []:
        if visitor is None:
            continue
        response = api_client(people[visitor]).get("/")
        html = response.content.decode()
        assert response.status_code == 200
        assert "open value" in html
        assert "Secret block" not in html and "secret value" not in html


@pytest.mark.parametrize("principal", [p for p, (_, denied) in PRINCIPALS.items() if denied])
@pytest.mark.parametrize("url", ["/apps/demo/blocks/secret/", "/apps/demo/blocks/secret/x/"])
def test_block_alone_and_element_call(client, api_client, people, guarded, principal, url):
    guarded(principal)
    allowed, denied = PRINCIPALS[principal]
    ok = api_client(people[allowed]).get(url)
    assert ok.status_code == 200 and "secret value" in ok.content.decode()
    assert api_client(people[denied]).get(url).status_code == 403
    anonymous = client.get(url)
    assert (anonymous.status_code, anonymous["Location"]) == (302, f"/accounts/login/?next={url}")


@pytest.mark.parametrize("principal", [p for p, (_, denied) in PRINCIPALS.items() if denied])
def test_actions_of_a_hidden_block_do_not_run(client, api_client, people, guarded, principal):
    guarded(principal)
    _, denied = PRINCIPALS[principal]
    assert api_client(people[denied]).post("/apps/demo/blocks/secret/go/").status_code == 403
    assert (
        api_client(people[denied]).post("/apps/demo/blocks/secret/", {"go": "1"}).status_code == 403
    )
    assert client.post("/apps/demo/blocks/secret/", {"go": "1"})["Location"].startswith(
        "/accounts/login/"
    )


def test_superuser_passes_every_view_permission(api_client, people, guarded):
    guarded("nobody-at-all")
    root = api_client(people["root"])
    assert root.get("/private/").status_code == 200
    assert "secret value" in root.get("/").content.decode()


def test_view_permission_as_one_string(api_client, people, site_dir, guarded):
    guarded("x")
    site_dir.write("pages/private.yaml", "view_permission: 'nobody, bob'\nblocks: [demo/open]\n")
    assert api_client(people["bob"]).get("/private/").status_code == 200
    assert api_client(people["carol"]).get("/private/").status_code == 403


def test_navigation_lists_only_pages_the_visitor_may_open(client, api_client, people, guarded):
    guarded("bob")
    assert 'href="/private/"' not in client.get("/").content.decode()
    assert 'href="/private/"' in api_client(people["bob"]).get("/").content.decode()


# --- a record of a block the reader may not see: JSON and HTML (issue 22) ---------------------
#
# The app's ACL governs records on every path; the record's HTML page shows its block, so it
# also needs the block's view_permission. App `sales` (records_site): readers [readers], block
# `secret` view_permission [managers].


@pytest.fixture
def secret_record(records_site):
    from records import store
    from site_model.loader import current_site

    app = current_site().apps["sales"]
    return store.record_create(
        app=app, items={"note": "n"}, record_id="s1", block=app.blocks["secret"]
    )


@pytest.mark.parametrize(
    ("groups", "html_status"),
    [(["readers"], 403), (["readers", "managers"], 200)],
    ids=["reader-without-the-block", "reader-with-the-block"],
)
def test_a_record_of_a_block_is_json_for_readers_and_html_for_those_who_see_the_block(
    api_client, user_factory, secret_record, groups, html_status
):
    client = api_client(user_factory("rita", groups=groups))
    response = client.get("/api/v1/sales/record/s1")
    assert response.status_code == 200
    assert response.json()["note"] == "n"
    assert client.get("/apps/sales/records/s1/").status_code == html_status
