"""The pages a newcomer tripped on (issue 20), in Chromium at 1280 and 390 px: the invite
page's group checkboxes beside their labels, the 403 page's way on, the admin, and a refused
form on its page. Each is left as a picture in test-artifacts/ (`newcomer-<page>-<width>.png`)."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1280, 390)


def signed_in(page, user, *, verified_device=None):
    """The browser tab signed in as `user` (second factor passed with `verified_device`)."""
    client = Client()
    client.force_login(user)
    if verified_device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = verified_device.persistent_id
        session.save()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": page.url or "http://127.0.0.1"}]
    )


def fits(page) -> bool:
    return page.evaluate(
        "() => [...document.querySelectorAll('main *')]"
        ".every(e => e.getBoundingClientRect().right <= window.innerWidth + 0.5)"
    )


@pytest.fixture
def site(site_dir):
    site_dir.write(
        "settings.yaml",
        "title: Likes\nauth:\n  user_managers: [leads]\ngroups: [admins, leads, sales, finance]\n",
    )
    site_dir.write("pages/index.yaml", "title: Home\n")
    site_dir.write("pages/books.yaml", "title: Books\nview_permission: [admins]\n")
    return site_dir


@pytest.mark.parametrize("width", WIDTHS)
def test_the_invite_page_s_checkboxes_sit_beside_their_labels(
    page, site, user_factory, live_server, screenshot, width
):
    Group.objects.get_or_create(name="finance")
    lena = user_factory("lena", groups=["leads", "sales", "finance"])
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    signed_in(page, lena)
    page.goto("/accounts/invite/")
    boxes = page.locator("input[type=checkbox][name=groups]")
    expect(boxes).to_have_count(3)
    for index in range(3):
        box = boxes.nth(index).bounding_box()
        label = page.locator(f"label[for=id_groups_{index}]")
        text = label.evaluate(
            "l => { const r = document.createRange(); r.selectNodeContents(l);"
            " const t = [...r.getClientRects()].pop(); return {x: t.right, y: t.top, h: t.height} }"
        )
        assert box["width"] < 30, "a checkbox as wide as the form"
        middle = box["y"] + box["height"] / 2
        assert text["y"] <= middle <= text["y"] + text["h"], "the checkbox is not beside its text"
    assert fits(page)
    screenshot(page, f"newcomer-invite-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_403_page_offers_a_way_on(page, site, user_factory, live_server, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    signed_in(page, user_factory("ann"))
    page.goto("/books/")
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator(".reason")).to_have_text("The page at /books/ is not open to you.")
    assert fits(page)
    screenshot(page, f"newcomer-403-{width}")
    page.click("text=Sign in as someone else")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/books/")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admin_wears_the_site_s_title(page, site, user_factory, live_server, screenshot, width):
    root = user_factory("root", superuser=True, with_totp=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    signed_in(page, root, verified_device=root.totp_device)
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_have_text("Likes administration")
    expect(page.locator("caption")).to_have_text(
        ["Accounts", "Background tasks", "Records", "Social Accounts"]
    )
    screenshot(page, f"newcomer-admin-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_refused_form_on_its_page(page, site, user_factory, live_server, screenshot, width):
    site.write("apps/shop/settings.yaml", "acl:\n  rights:\n    author: [authenticated]\n")
    site.write(
        "apps/shop/blocks/order.yaml",
        "title: New order\nelements:\n"
        "  customer: {type: TEXT, label: Customer, required: true}\n"
        "  amount: {type: NUMBER, label: Amount, max: 500}\n"
        "  follows: {type: REFERENCE, label: Follows}\n",
    )
    site.write("pages/orders.yaml", "title: Orders\nblocks: [shop/order]\n")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    signed_in(page, user_factory("ann"))
    page.goto("/orders/")
    page.locator("input[name=customer]").evaluate("e => e.removeAttribute('required')")
    page.locator("input[name=amount]").evaluate("e => e.removeAttribute('max')")
    page.fill("input[name=amount]", "600")
    page.fill("input[name=follows]", "nothing")
    page.click("button[name=_save]")
    expect(page.locator("h1")).to_have_text("Orders")
    expect(page.locator(".field-error")).to_have_text(
        [
            "Customer is required.",
            "Amount must be at most 500.",
            "Follows names no record 'nothing' in app 'shop'.",
        ]
    )
    assert fits(page)
    screenshot(page, f"newcomer-refused-form-{width}")
