"""Mail that cannot be sent never turns a request into a 500: the failure is logged with its
traceback, the visitor is told to try again, and nothing is half-written (contract §7)."""

import logging
import socket

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from accounts.mail import MAIL_NOT_SENT
from tests.helpers import PASSWORD, messages_of

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A port on which nothing listens: the SMTP connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(params=["smtp", "locmem"])
def mail_server(request, settings):
    """ "smtp": a mail server that cannot be reached; "locmem": one that works (the twin)."""
    settings.EMAIL_BACKEND = f"django.core.mail.backends.{request.param}.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    return request.param


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


def refused_with_a_message(response):
    assert response.status_code == 200, response.status_code
    assert response.context["form"].errors["__all__"] == [MAIL_NOT_SENT]


@pytest.mark.parametrize("address", ["tom@example.com", "nobody@example.com"])
def test_password_reset(mail_server, visitor, user_factory, caplog, address):
    user_factory("tom")
    caplog.set_level(logging.ERROR, logger="accounts")
    response = visitor.post("/accounts/password/reset/", {"email": address})
    if mail_server == "locmem":
        assert response.status_code == 302
        assert [message.to for message in mail.outbox] == [[address]]
        return
    refused_with_a_message(response)
    (record,) = [r for r in caplog.records if r.message.startswith("could not send")]
    assert record.message.endswith(f" to {address}")
    assert "ConnectionRefusedError" in record.exc_text  # the traceback is in the log


def test_adding_an_address_leaves_nothing_when_the_mail_fails(
    mail_server, api_client, user_factory
):
    user = user_factory("una")
    visitor = api_client(user, raise_request_exception=False)
    response = visitor.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})
    added = EmailAddress.objects.filter(user=user, email="new@example.com").exists()
    if mail_server == "locmem":
        assert response.status_code == 302
        assert added
        return
    refused_with_a_message(response)
    assert not added


def test_resending_a_verification_tells_the_visitor_to_try_again(
    mail_server, api_client, user_factory
):
    user = user_factory("val")
    EmailAddress.objects.create(user=user, email="val@example.com", verified=False, primary=True)
    visitor = api_client(user, raise_request_exception=False)
    response = visitor.post(
        "/accounts/email/", {"action_send": "", "email": "val@example.com"}, follow=True
    )
    assert response.status_code == 200
    assert (MAIL_NOT_SENT in messages_of(response)) is (mail_server == "smtp")


def test_sign_up_leaves_no_account_when_the_mail_fails(mail_server, visitor):
    response = visitor.post(
        "/accounts/signup/",
        {
            "username": "wes",
            "email": "wes@example.com",
            "password1": PASSWORD + "-long",
            "password2": PASSWORD + "-long",
        },
    )
    created = get_user_model().objects.filter(username="wes").exists()
    if mail_server == "locmem":
        assert response.status_code == 302
        assert created
        return
    refused_with_a_message(response)
    assert not created
    # The visitor may sign up again once the mail server is back.
    assert visitor.get("/accounts/signup/").status_code == 200
