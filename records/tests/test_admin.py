"""Records in the Django admin for staff (who have passed their second factor)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, users):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=users["root"], name="phone", confirmed=True)
    client.force_login(users["root"])
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


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
    from records.tokens import create_token

    token, raw = create_token(users["reader"], name="ci")
    html = staff_client.get("/admin/records/apitoken/").content.decode()
    assert token.prefix in html
    html = staff_client.get(f"/admin/records/apitoken/{token.pk}/change/").content.decode()
    assert token.key_hash not in html and raw not in html


def test_admin_refuses_non_staff(client_for, users, records_site):
    response = client_for(users["editor"]).get("/admin/records/record/")
    assert response.status_code == 302
