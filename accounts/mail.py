"""Mail that cannot be sent (contract §7): logged, the visitor told to try again, no 500.

`AccountAdapter.send_mail` turns any failure to send (no SMTP server, refused, timed out) into
`MailNotSent` after logging it with its traceback. The account views that send mail
(views.py: sign-up, password reset, e-mail addresses) run their work in one transaction with
`MailOrNothingMixin`, so a failed mail leaves nothing it would have announced (a new address,
a new account) and the form says to try again.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy

MAIL_NOT_SENT = gettext_lazy(
    "We could not send you the e-mail just now, so nothing was changed. "
    "Please try again in a few minutes."
)


class MailNotSent(Exception):
    """The mail server could not be reached or refused the mail; the cause is chained."""


class MailOrNothingMixin:
    """For allauth's form views: the form's work and its mail, all or nothing."""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except MailNotSent:
            form.add_error(None, MAIL_NOT_SENT)
            return self.form_invalid(form)
