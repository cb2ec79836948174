"""The audit trail: events written with the client's address, listed and filtered in the admin."""

import pytest
from django.test import Client, RequestFactory
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import audit
from accounts.models import SecurityEvent
from accounts.network import client_address

pytestmark = pytest.mark.django_db


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


def test_a_trusted_proxy_names_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request_from("10.0.0.5", "198.51.100.1")) == "198.51.100.1"


def test_a_client_cannot_forge_its_address_through_a_trusted_proxy(settings):
    # The proxy appends what it saw; what the client wrote before it stays on the left.
    settings.TRUSTED_PROXIES = ["10.0.0.5", "10.0.0.6"]
    forged = "1.2.3.4, 198.51.100.1, 10.0.0.6"
    assert client_address(request_from("10.0.0.5", forged)) == "198.51.100.1"


def test_a_direct_request_naming_itself_a_proxy_is_not_believed(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(request_from("203.0.113.9", "10.0.0.5, 1.1.1.1")) == "203.0.113.9"


def test_garbage_in_the_forwarded_header_is_not_an_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_address(request_from("10.0.0.5", "<script>")) == "unknown"


def test_an_event_names_the_user_the_address_and_the_target(settings, user_factory):
    settings.TRUSTED_PROXIES = []
    alice = user_factory("alice")
    request = request_from("203.0.113.9")
    request.user = alice
    audit.record(audit.Kind.ACCESS_REFUSED, request=request, target="events/r1", status=403)
    event = SecurityEvent.objects.get()
    assert (event.kind, event.user, event.username, event.address, event.target, event.status) == (
        "access_refused",
        alice,
        "alice",
        "203.0.113.9",
        "events/r1",
        403,
    )


def test_an_event_keeps_the_name_when_the_user_is_deleted(user_factory):
    bob = user_factory("bob")
    audit.record(audit.Kind.TOKEN_CREATED, user=bob)
    bob.delete()
    event = SecurityEvent.objects.get()
    assert (event.user, event.username) == (None, "bob")


def test_the_admin_lists_and_filters_events_read_only(user_factory):
    root = user_factory("root", superuser=True, with_totp=True)
    device = root.totp_device
    audit.record(audit.Kind.LOGIN_FAILED, username="mallory")
    audit.record(audit.Kind.SHARE_GRANTED, username="alice", target="events/r1")
    client = Client()
    client.force_login(root)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    listed = client.get("/admin/accounts/securityevent/?kind=login_failed")
    assert listed.status_code == 200
    page = listed.content.decode()
    assert "mallory" in page and "events/r1" not in page
    event = SecurityEvent.objects.get(kind="login_failed")
    change = client.post(f"/admin/accounts/securityevent/{event.pk}/change/", {"username": "x"})
    assert change.status_code == 403
    assert client.get("/admin/accounts/securityevent/add/").status_code == 403
