"""Forms of the account pages. Labels and messages only; the rules live in otp.py and invites.py."""

from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class SetupCodeForm(CodeForm):
    code = forms.CharField(
        label="Code from the app",
        max_length=32,
        help_text="Scan the QR code (or type the key) into your authenticator app, then enter the code it shows.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, required=False, help_text="What the token is for."
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    groups = forms.MultipleChoiceField(
        label="Groups",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only groups you belong to yourself.",
        error_messages={
            "invalid_choice": "You can only add users to groups you belong to; not: %(value)s."
        },
    )

    def __init__(self, *args, group_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [(name, name) for name in group_choices]
