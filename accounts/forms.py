"""Forms of the account pages. Labels and messages only; the rules live in otp.py and invites.py
(and, for sign-up, in SiteSignupForm's one override)."""

from allauth.account.forms import SignupForm
from allauth.account.internal.userkit import filter_users_by_email
from django import forms
from django.utils.translation import gettext_lazy as _

from site_model.loader import current_site


class SiteSignupForm(SignupForm):
    """allauth's sign-up form, hiding whether an address is registered when it can.

    allauth hides it (no account made, the holder mailed "you already have an account", the
    visitor shown "check your mail" as after any sign-up) only when its global
    ACCOUNT_EMAIL_VERIFICATION is mandatory; here the mode is settings.yaml's, read per request
    (accounts.adapter.SiteEmailVerificationStage), so the form asks the site instead. With
    `optional` or `none` a new account is signed in at once, so a taken address cannot answer
    the same: the form says it is taken, and check_site warns of `none`.
    """

    def validate_unique_email(self, value) -> str:
        if current_site().settings.email_verification != "mandatory":
            return super().validate_unique_email(value)
        email = value
        self.account_already_exists = bool(filter_users_by_email(email))
        return email


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class SetupCodeForm(CodeForm):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=32,
        help_text=_(
            "Scan the QR code (or type the key) into your authenticator app, then enter the code it shows."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100, required=False, help_text=_("What the token is for.")
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    groups = forms.MultipleChoiceField(
        label=_("Groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only groups you belong to yourself."),
        error_messages={
            "invalid_choice": _("You can only add users to groups you belong to; not: %(value)s.")
        },
    )

    def __init__(self, *args, group_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [(name, name) for name in group_choices]


class PersonForm(forms.Form):
    """A user manager's form for one user: the profile fields, and groups among those the
    manager may give (their own) or the user has already."""

    groups = forms.MultipleChoiceField(
        label=_("Groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("You can give or take away only groups you belong to yourself."),
    )

    @classmethod
    def build(cls, profile_form_class, data, values, groups, group_choices):
        form_class = type("PersonForm", (profile_form_class, cls), {})
        form = form_class(data, initial={**values, "groups": groups})
        form.fields["groups"].choices = [(name, name) for name in group_choices]
        return form
