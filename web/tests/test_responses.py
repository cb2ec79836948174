"""web.responses.failed: each error of the records layer as an HTML answer."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.html import escape
from django_htmx.middleware import HtmxDetails

from records.errors import (
    Denied,
    InvalidItems,
    InvalidRecordId,
    OwnerItemLocked,
    RecordExists,
    RecordNotFound,
    StaleRecord,
)
from site_model.acl import Verdict
from web.responses import failed


@pytest.fixture
def request_(rf):
    request = rf.post("/apps/sales/records/r1/edit/")
    request.htmx = HtmxDetails(request)
    return request


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RecordExists("record 'r1' exists already in app 'sales'"), 409),
        (StaleRecord("record 'r1' has changed"), 412),
        (InvalidItems("item 'team': an owner item holds at most 100 values, found 101"), 400),
        (InvalidRecordId("invalid record id 'a b'"), 400),
    ],
)
def test_errors_of_what_was_sent_answer_their_status_with_the_message(request_, error, status):
    response = failed(request_, error)
    assert (response.status_code, response.content.decode()) == (status, error.message)
    assert response["Content-Type"].startswith("text/plain")


def test_a_record_gone_is_the_404_page(request_):
    with pytest.raises(Http404, match="no record 'r1' in app 'sales'"):
        failed(request_, RecordNotFound("no record 'r1' in app 'sales'"))


def test_an_owner_item_locked_is_the_403_page_with_the_message(request_, site_dir):
    from django.contrib.auth.models import AnonymousUser

    request_.user = AnonymousUser()
    message = "an edit share may not change the owner item 'salesman'"
    response = failed(request_, OwnerItemLocked(message))
    assert response.status_code == 403
    assert f'<p class="reason">{escape(message)}</p>' in response.content.decode()


def test_the_gates_refusals_answer_as_deny_does(request_):
    response = failed(request_, Denied(Verdict.LOGIN, "authentication required to edit records"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/apps/sales/records/r1/edit/"
    with pytest.raises(PermissionDenied, match="You may not see this."):
        failed(request_, Denied(Verdict.FORBID, "you may not edit records of app 'sales'"))
    with pytest.raises(Http404):
        failed(request_, Denied(Verdict.HIDE, "no record 'r1' in app 'sales'"))
