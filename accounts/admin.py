"""The admin pages of accounts: the audit trail (read-only, filterable by kind, date, user and
address; a flood's row says how many events it stands for), and users and groups whose names
are checked like a sign-up's (accounts.names); django-guardian's AnonymousUser is not listed."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group, User
from django.forms import ModelForm
from guardian.conf import settings as guardian_settings

from . import names
from .models import ApiToken, SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "username", "address", "target", "status", "not_written")
    list_filter = ("kind", "status", "at")
    search_fields = ("username", "address", "target", "detail")
    date_hierarchy = "at"
    list_per_page = 100

    @admin.display(description="suppressed", ordering="suppressed")
    def not_written(self, event) -> str:
        """The events a flood's row stands for (accounts.audit); blank on every other row."""
        return f"{event.suppressed:,} more" if event.suppressed else ""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class NameChecked:
    """A form mix-in: the name field (`name_field`) may not take a name the site uses.

    `request` is set by `NameCheckedAdmin.get_form`, for the audit trail. Keeping the name the
    instance has (in any case) is no new claim.
    """

    name_field = "username"
    name_kind = names.USER
    request = None

    def check_name(self, name: str) -> str:
        current = getattr(self.instance, self.name_field) if self.instance.pk else None
        return names.name_check(name, kind=self.name_kind, current=current, request=self.request)


class UserCreationForm(NameChecked, auth_forms.AdminUserCreationForm):
    def clean_username(self):
        # Before Django's own lookup of users, so that every refusal says the same.
        self.cleaned_data["username"] = self.check_name(self.cleaned_data["username"])
        return super().clean_username()


class UserChangeForm(NameChecked, auth_forms.UserChangeForm):
    def clean_username(self):
        return self.check_name(self.cleaned_data["username"])


class GroupForm(NameChecked, ModelForm):
    name_field = "name"
    name_kind = names.GROUP

    class Meta:
        model = Group
        fields = ("name", "permissions")

    def clean_name(self):
        return self.check_name(self.cleaned_data["name"])


class NameCheckedAdmin:
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(NameCheckedAdmin, auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm

    def get_queryset(self, request):
        # django-guardian's stand-in for anonymous visitors is no account anyone manages.
        return super().get_queryset(request).exclude(username=guardian_settings.ANONYMOUS_USER_NAME)


@admin.register(Group)
class GroupAdmin(NameCheckedAdmin, auth_admin.GroupAdmin):
    form = GroupForm


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created", "last_used")
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("user", "name", "prefix", "created", "last_used")
    exclude = ("key_hash",)

    def has_add_permission(self, request):
        return False  # a token is shown once when made: on the account page or create_api_token
