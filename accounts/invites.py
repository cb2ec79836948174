"""User managers (principals of `auth.user_managers`) invite users into their own groups.

An invited user is created with an unusable password and gets allauth's password-reset
mail, whose link lets them set a password. A manager can only hand out groups they belong
to, and can only invite someone new, so nobody raises their own groups (or anyone else's
existing account) this way.
"""

from __future__ import annotations

import logging

from allauth.account.adapter import get_adapter
from allauth.account.forms import ResetPasswordForm
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from site_model.acl import Who, can_see

logger = logging.getLogger("accounts")


class InviteRefused(Exception):
    """`str(exc)` says why, for the form."""


def is_user_manager(who: Who, user_managers) -> bool:
    return bool(can_see(user_managers, who)) if user_managers else False


def grantable_groups(who: Who) -> list[str]:
    """The groups a manager may hand out: exactly the ones they are in."""
    return sorted(who.groups)


def _username_for(email: str) -> str:
    """A free user name from the address's local part, checked as a sign-up's would be."""
    adapter = get_adapter()
    base = (
        "".join(ch for ch in email.split("@", 1)[0] if ch.isalnum() or ch in "._-")[:30] or "user"
    )
    for n in range(1, 1000):
        candidate = base if n == 1 else f"{base}{n}"
        try:
            # Refuses every name the site uses (accounts.names); `shallow`: these are tries
            # of ours, not refusals of anyone's choice, so they stay out of the audit trail.
            return adapter.clean_username(candidate, shallow=True)
        except ValidationError:
            continue
    raise InviteRefused(_("No user name could be made from %(email)s.") % {"email": email})


def invite_user(*, manager: Who, user_managers, email: str, groups, request):
    """Create a user for `email` in `groups` and mail them a link to set their password.

    Raises InviteRefused when `manager` is not a user manager, names a group they are not
    in, or the address already belongs to an account.
    """
    if not is_user_manager(manager, user_managers):
        raise InviteRefused(_("Only user managers may invite users."))
    wanted = set(groups)
    foreign = sorted(wanted - set(grantable_groups(manager)))
    if foreign:
        raise InviteRefused(
            _("You can only add users to groups you belong to; not: %(value)s.")
            % {"value": ", ".join(foreign)}
        )
    User = get_user_model()
    email = email.strip().lower()
    if (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    ):
        raise InviteRefused(_("%(email)s already has an account.") % {"email": email})
    with transaction.atomic():
        user = User(username=_username_for(email), email=email)
        user.set_unusable_password()
        user.save()
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
        user.groups.add(*Group.objects.filter(name__in=wanted))
    form = ResetPasswordForm(data={"email": email})
    if form.is_valid():
        form.save(request)
    logger.info(
        "user %s invited %s (%s) into %s",
        manager.username,
        user.get_username(),
        email,
        ", ".join(sorted(wanted)) or "no groups",
    )
    return user
