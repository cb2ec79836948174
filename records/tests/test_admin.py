"""Records in the Django admin for staff (who have passed their second factor)."""

import pytest

pytestmark = pytest.mark.django_db


def test_admin_lists_filters_and_searches_records(staff_client, make_record):
    make_record("sales", "alpha-1")
    make_record("sales", "beta-2")
    make_record("public", "alpha-3")
    html = staff_client.get("/admin/records/record/").content.decode()
    assert "alpha-1" in html and "beta-2" in html and "alpha-3" in html
    html = staff_client.get("/admin/records/record/?app_id=sales").content.decode()
    assert "alpha-1" in html and "beta-2" in html and "alpha-3" not in html
    html = staff_client.get("/admin/records/record/?q=alpha").content.decode()
    assert "alpha-1" in html and "alpha-3" in html and "beta-2" not in html


def test_admin_token_list_never_shows_the_hash(staff_client, users):
    from accounts.tokens import create_token

    token, raw = create_token(users["reader"], name="ci")
    html = staff_client.get("/admin/accounts/apitoken/").content.decode()
    assert token.prefix in html
    html = staff_client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert token.key_hash not in html and raw not in html


def test_admin_refuses_non_staff(api_client, users, records_site):
    response = api_client(users["editor"]).get("/admin/records/record/")
    assert response.status_code == 302


# --- deleting goes through records.store: `on_delete` runs, an error in it deletes nothing ----


def on_delete_calls():
    from site_model.loader import current_site

    return current_site().block("sales", "order").code.CALLS


@pytest.fixture
def ordered(records_site, users):
    """Two records saved through the block `order` (its on_delete records its calls), one
    shared, so that the owner and share rows are there to go too."""
    from records import store
    from records.ownership import sharing
    from site_model.loader import current_site

    app = current_site().apps["sales"]
    made = [
        store.record_create(
            app=app, items={"title": t}, user=users["author"], block=app.blocks["order"]
        )
        for t in ("one", "two")
    ]
    sharing.record_share(record=made[0], principal="reader", permissions=("view",))
    del on_delete_calls()[:]
    return made


def test_admin_deletes_one_record_through_the_store(staff_client, ordered):
    from records.models import Record
    from records.ownership.models import RecordOwner, RecordUserShare

    one = ordered[0]
    response = staff_client.post(f"/admin/records/record/{one.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert on_delete_calls() == [("on_delete", "one")]
    assert list(Record.objects.values_list("record_id", flat=True)) == ["two"]
    assert not RecordOwner.objects.filter(record_id=one.pk).exists()
    assert not RecordUserShare.objects.exists()


def test_admin_deletes_the_selected_records_through_the_store(staff_client, ordered):
    from records.models import Record

    response = staff_client.post(
        "/admin/records/record/",
        {"action": "delete_selected", "_selected_action": [r.pk for r in ordered], "post": "yes"},
    )
    assert response.status_code == 302
    assert sorted(on_delete_calls()) == [("on_delete", "one"), ("on_delete", "two")]
    assert not Record.objects.exists()


def failing_on_delete():
    from tests.sites import ORDER_CODE

    calls = '    CALLS.append(("on_delete", context.record.id))'
    assert calls in ORDER_CODE
    return ORDER_CODE.replace(
        calls,
        calls
        + '\n    if context.record.get("title") == "two":\n        raise RuntimeError("keep it")',
    )


def test_an_on_delete_error_in_the_admin_deletes_nothing(staff_client, ordered, records_site):
    from records.models import Record

    records_site.write("apps/sales/blocks/order.py", failing_on_delete())
    two = ordered[1]
    response = staff_client.post(
        f"/admin/records/record/{two.pk}/delete/", {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert "The record was not deleted: on_delete failed:" in response.content.decode()
    assert "keep it" in response.content.decode()
    response = staff_client.post(
        "/admin/records/record/",
        {"action": "delete_selected", "_selected_action": [r.pk for r in ordered], "post": "yes"},
        follow=True,
    )
    page = response.content.decode()
    assert "No record was deleted: on_delete failed:" in page and "Successfully" not in page
    assert Record.objects.count() == 2
