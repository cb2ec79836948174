"""The audit trail: events written with the client's address, listed and filtered in the admin;
floods capped, old rows pruned (manage.py prune_security_events)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts import audit
from accounts.models import SecurityEvent
from accounts.network import client_address
from tests.helpers import login

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


def test_the_admin_lists_and_filters_events_read_only(user_factory, api_client):
    root = user_factory("root", superuser=True, with_totp=True)
    audit.record(audit.Kind.LOGIN_FAILED, username="mallory")
    audit.record(audit.Kind.SHARE_GRANTED, username="alice", target="events/r1")
    SecurityEvent.objects.create(
        kind=audit.Kind.LOGIN_FAILED, address="203.0.113.9", suppressed=1412
    )
    client = api_client(root, verified=True)

    listed = client.get("/admin/accounts/securityevent/?kind=login_failed")
    assert listed.status_code == 200
    page = listed.content.decode()
    assert "mallory" in page and "events/r1" not in page
    assert "1,412 more" in page
    event = SecurityEvent.objects.get(kind="login_failed", username="mallory")
    change = client.post(f"/admin/accounts/securityevent/{event.pk}/change/", {"username": "x"})
    assert change.status_code == 403
    assert client.get("/admin/accounts/securityevent/add/").status_code == 403


# --- the cap and the retention --------------------------------------------------------------


def test_a_flood_of_wrong_passwords_from_one_address_is_capped(settings, clock):
    """10 failures a minute from an address, then every attempt is refused unchecked
    (`login_refused`) until allauth's own limit of 30 logins a minute answers 429 (no event);
    each kind is written up to the cap and counted beyond it on its own."""
    settings.TRUSTED_PROXIES = []
    settings.SECURITY_EVENTS_PER_MINUTE = 4
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(25):
        assert login(client, f"guess-{n}", "wrong").status_code == 200
    written = SecurityEvent.objects.filter(address="203.0.113.9")
    assert (written.filter(kind="login_failed").count(), written.count()) == (4, 8)

    clock.move(minutes=1)
    login(client, "one-more", "wrong")  # refused still: allauth's minute is the real one
    summary = SecurityEvent.objects.get(suppressed__gt=0)
    assert (summary.kind, summary.address, summary.suppressed) == (
        "login_refused",
        "203.0.113.9",
        15 - 4,
    )


def test_a_change_of_access_is_written_however_many(settings, user_factory, clock):
    settings.SECURITY_EVENTS_PER_MINUTE = 2
    alice = user_factory("alice")
    request = request_from("203.0.113.9")
    request.user = alice
    for n in range(5):
        audit.record(audit.Kind.TOKEN_CREATED, request=request, target=f"token t{n}")
    assert SecurityEvent.objects.filter(kind="token_created").count() == 5


def aged(days: float) -> SecurityEvent:
    event = SecurityEvent.objects.create(kind=audit.Kind.LOGIN_FAILED, username=f"{days}d")
    SecurityEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=days))
    return event


def prune(*args) -> str:
    out = StringIO()
    call_command("prune_security_events", *args, stdout=out)
    return out.getvalue()


def kept() -> list[str]:
    return sorted(SecurityEvent.objects.values_list("username", flat=True))


def test_prune_deletes_only_the_rows_older_than_the_cut_and_says_how_many():
    for days in (400, 120, 91, 89, 1, 0):
        aged(days)
    output = prune("--days", "90")
    assert kept() == ["0d", "1d", "89d"]
    assert output.splitlines()[-1].startswith("Deleted 3 security events older than 90 days")


def test_prune_works_in_batches_and_prints_its_progress():
    for days in (100, 101, 102, 103, 104):
        aged(days)
    output = prune("--days", "90", "--batch-size", "2")
    assert output.splitlines() == [
        "deleted 2 (2 so far)",
        "deleted 2 (4 so far)",
        "deleted 1 (5 so far)",
        output.splitlines()[-1],
    ]
    assert output.splitlines()[-1].startswith("Deleted 5 security events older than 90 days")
    assert kept() == []


def test_prune_keeps_the_days_the_setting_says_by_default(settings):
    settings.SECURITY_EVENTS_KEEP_DAYS = 30
    for days in (31, 29):
        aged(days)
    assert prune().splitlines()[-1].startswith("Deleted 1 security event older than 30 days")
    assert kept() == ["29d"]


def test_prune_refuses_a_negative_age():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--days"):
        prune("--days", "-1")
