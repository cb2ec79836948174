"""The 403 page: what was refused, who is signed in, and a way on (sign in as someone else,
back to the home page)."""

import pytest

pytestmark = pytest.mark.django_db

SWITCH_FORM = '<form method="post" action="/accounts/logout/" class="switch-user">'


@pytest.fixture
def site(site_dir):
    site_dir.write("pages/index.yaml", "title: Home\n")
    site_dir.write("pages/books.yaml", "title: Books\nview_permission: [admins]\n")
    return site_dir


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/accounts/invite/", "Only user managers may invite users."),
        ("/books/", "The page at /books/ is not open to you."),
    ],
)
def test_the_403_page_says_what_was_refused_and_offers_a_way_on(
    site, api_client, user_factory, path, reason
):
    client = api_client(user_factory("ann"))
    response = client.get(path)
    assert response.status_code == 403
    html = response.content.decode()
    assert f'<p class="reason">{reason}</p>' in html
    assert "You are signed in as <strong>ann</strong>." in html
    assert SWITCH_FORM in html
    assert f'name="next" value="/accounts/login/?next={path}"' in html
    assert '<a href="/">Back to the home page</a>' in html


def test_sign_in_as_someone_else_signs_out_and_lands_on_the_login_for_the_same_page(
    site, api_client, user_factory
):
    client = api_client(user_factory("ann"), enforce_csrf=False)
    client.get("/books/")
    response = client.post("/accounts/logout/", {"next": "/accounts/login/?next=/books/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/books/"
    assert client.get("/books/").status_code == 302  # signed out: the login, not a 403
