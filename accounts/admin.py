"""The admin pages of accounts: the audit trail (read-only, filterable by kind, date, user and
address; a flood's row says how many events it stands for), and users and groups whose names
are checked like a sign-up's (accounts.names); django-guardian's AnonymousUser is not listed."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import Group, User
from django.forms import ModelForm
from guardian.conf import settings as guardian_settings

from site_model.loader import current_site

from . import names, profiles
from .models import ApiToken, Profile, SecurityEvent


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


class ProfileForm(ModelForm):
    """The profile fields settings.yaml declares, each with its element's form field and
    rules; stored keys of fields no longer declared are kept."""

    class Meta:
        model = Profile
        fields = ()

    profile_fields: dict = {}

    @classmethod
    def for_site(cls) -> type["ProfileForm"]:
        """The form with a field per declared profile field (the admin's fieldsets name them,
        so they are declared on the class, not added per instance)."""
        fields = current_site().settings.profile_fields
        declared = {}
        for name, element in fields.items():
            declared[name] = element.definition.form_field(element)
            declared[name].label = element.label
        return type("ProfileForm", (cls,), {**declared, "profile_fields": fields})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.data if isinstance(self.instance.data, dict) else {}
        for name in self.profile_fields:
            self.initial.setdefault(name, stored.get(name))

    def has_changed(self) -> bool:
        return any(name in self.changed_data for name in self.profile_fields)

    def save(self, commit=True):
        data = dict(self.instance.data) if isinstance(self.instance.data, dict) else {}
        for name in self.profile_fields:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                data.pop(name, None)
            else:
                data[name] = profiles.json_value(value)
        self.instance.data = data
        return super().save(commit=commit)


class ProfileInline(admin.StackedInline):
    """An administrator sets every profile field (superusers may give any value)."""

    model = Profile
    form = ProfileForm
    can_delete = False
    verbose_name_plural = "profile"

    def get_formset(self, request, obj=None, **kwargs):
        kwargs["form"] = ProfileForm.for_site()
        return super().get_formset(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": list(current_site().settings.profile_fields)})]


@admin.register(User)
class UserAdmin(NameCheckedAdmin, auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    inlines = (ProfileInline,)

    def get_inlines(self, request, obj):
        # On a user's change page, when settings.yaml declares profile fields: adding a user
        # stays Django's two-step form.
        if obj is None or not current_site().settings.profile_fields:
            return ()
        return self.inlines

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
