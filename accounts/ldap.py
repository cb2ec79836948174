"""Sign-in against an LDAP directory or Active Directory: django-auth-ldap, set by settings.yaml.

`SiteLDAPBackend` is django-auth-ldap's `LDAPBackend` whose settings come from settings.yaml
`auth.ldap` (server, StartTLS, user search, group search, group mapping) on each call, and from
the environment for the secrets (`LDAP_BIND_DN`, `LDAP_BIND_PASSWORD`, `LDAP_CA_FILE`, read by
site_config/settings.py). Without `auth.ldap` it answers None to everything.

It is one of `AUTHENTICATION_BACKENDS`, so Django's `authenticate()` reaches it from the login
form (allauth) and from HTTP Basic (accounts/passwords.py `check_basic`) alike: both run inside
the one password limiter, so a wrong directory password counts as a failure, a locked-out
account is refused before the directory is asked, and every failure is logged and audited.

- The user is found by a search (`user_search.filter` with `%(user)s`), then the directory
  checks the password with a bind as that user. A login typed as an e-mail address (AD's
  userPrincipalName) is searched for too.
- The local user name is the directory's `username_attribute` (AD: sAMAccountName), else the
  name typed. A new local user is made only when accounts.names lets that name be taken (the
  rule of every sign-up); an existing local user is signed in only when the directory made it
  (`DirectoryAccount`), never a password or social account that shares the name.
- On each login, `groups` sets the user's Django groups from their directory groups: a mapped
  group the user left is taken away, groups the mapping does not name are left alone.
"""

from __future__ import annotations

import logging

import ldap
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django_auth_ldap import backend as ldap_backend
from django_auth_ldap.config import (
    ActiveDirectoryGroupType,
    GroupOfNamesType,
    GroupOfUniqueNamesType,
    LDAPGroupType,
    LDAPSearch,
    LDAPSettings,
    NestedActiveDirectoryGroupType,
    NestedGroupOfNamesType,
    PosixGroupType,
)

from site_model.loader import current_site
from site_model.spec import LdapSettings

from . import audit, names, otp
from .models import DirectoryAccount

logger = logging.getLogger("accounts")

BACKEND = "accounts.ldap.SiteLDAPBackend"
METHOD = "ldap"

# AD's LDAP_MATCHING_RULE_IN_CHAIN: "member" followed through nested groups, by the server.
IN_CHAIN = "1.2.840.113556.1.4.1941"


class InChainGroupType(LDAPGroupType):
    """Active Directory groups, nested ones included, found by one search with
    LDAP_MATCHING_RULE_IN_CHAIN: `(member:1.2.840.113556.1.4.1941:=<user DN>)`.

    django-auth-ldap's NestedActiveDirectoryGroupType walks up one level per search instead.
    """

    def in_chain_filter(self, user_dn: str) -> str:
        return f"(member:{IN_CHAIN}:={ldap.filter.escape_filter_chars(user_dn)})"

    def user_groups(self, ldap_user, group_search):
        search = group_search.search_with_additional_term_string(self.in_chain_filter(ldap_user.dn))
        return search.execute(ldap_user.connection)

    def is_member(self, ldap_user, group_dn):
        found = ldap_user.connection.search_s(
            group_dn, ldap.SCOPE_BASE, self.in_chain_filter(ldap_user.dn), ["1.1"]
        )
        return bool(found)


GROUP_TYPES = {
    "group_of_names": GroupOfNamesType,
    "nested_group_of_names": NestedGroupOfNamesType,
    "group_of_unique_names": GroupOfUniqueNamesType,
    "posix": PosixGroupType,
    "active_directory": ActiveDirectoryGroupType,
    "nested_active_directory": NestedActiveDirectoryGroupType,
    "active_directory_in_chain": InChainGroupType,
}


def dn_key(dn: str) -> str:
    """A DN in one spelling, to compare: `CN=Sales, OU=Groups` -> `cn=sales,ou=groups`."""
    try:
        return ldap.dn.dn2str(ldap.dn.str2dn(dn)).lower()
    except ldap.DECODING_ERROR:
        return dn.strip().lower()


def connection_options() -> dict:
    """python-ldap options of every connection: timeouts, no referrals (AD), the CA to trust.

    OPT_X_TLS_NEWCTX comes last: it makes the TLS options above it take effect.
    """
    timeout = django_settings.LDAP_TIMEOUT
    options = {
        ldap.OPT_REFERRALS: 0,
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
        ldap.OPT_X_TLS_REQUIRE_CERT: ldap.OPT_X_TLS_DEMAND,
    }
    if django_settings.LDAP_CA_FILE:
        options[ldap.OPT_X_TLS_CACERTFILE] = str(django_settings.LDAP_CA_FILE)
    options[ldap.OPT_X_TLS_NEWCTX] = 0
    return options


def backend_settings(site: LdapSettings) -> LDAPSettings:
    """django-auth-ldap's settings object for `auth.ldap` (and the environment's secrets)."""
    values = {
        "SERVER_URI": site.server,
        "START_TLS": site.start_tls,
        "BIND_DN": django_settings.LDAP_BIND_DN,
        "BIND_PASSWORD": django_settings.LDAP_BIND_PASSWORD,
        "CONNECTION_OPTIONS": connection_options(),
        "USER_SEARCH": LDAPSearch(site.user_search_base, ldap.SCOPE_SUBTREE, site.user_filter),
        "USER_ATTR_MAP": dict(site.attributes),
        "ALWAYS_UPDATE_USER": True,
    }
    if site.group_search_base:
        values["GROUP_SEARCH"] = LDAPSearch(
            site.group_search_base, ldap.SCOPE_SUBTREE, site.group_filter
        )
        values["GROUP_TYPE"] = GROUP_TYPES[site.group_type]()
        values["REQUIRE_GROUP"] = site.require_group or None
        values["DENY_GROUP"] = site.deny_group or None
    # A prefix that no Django setting uses: every value comes from here.
    return LDAPSettings(prefix="SITE_LDAP_FROM_SETTINGS_YAML_", defaults=values)


class SiteLDAPBackend(ldap_backend.LDAPBackend):
    """django-auth-ldap's backend, configured by settings.yaml `auth.ldap`; see the module."""

    @property
    def site_ldap(self) -> LdapSettings | None:
        return current_site().settings.ldap

    @property
    def settings(self):
        if self._settings is None:
            site = self.site_ldap
            self._settings = backend_settings(site) if site is not None else None
        return self._settings

    @settings.setter
    def settings(self, value):
        self._settings = value

    def authenticate(self, request, username=None, password=None, **kwargs):
        # allauth passes a login typed with "@" as `email`: AD's userPrincipalName is one.
        login = username or kwargs.get("email")
        if self.site_ldap is None or not login or not password:
            return None
        return super().authenticate(request, username=login, password=password)

    def get_user(self, user_id):
        # As ModelBackend: a session of a user made inactive since ends.
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None

    def get_group_permissions(self, user, obj=None):
        # Permissions come from the Django groups the mapping sets, through ModelBackend.
        return set()

    def get_or_build_user(self, username, ldap_user):
        """The directory user's local user: linked already, or new when the name may be taken.

        Raises AuthenticationFailed (the login fails, and counts as a failure) for a name that a
        local user not made by the directory has, or that accounts.names refuses.
        """
        name = names.normalize(self.directory_username(username, ldap_user))
        request = ldap_user._request
        User = get_user_model()
        folded = names.fold(name)
        field = User.USERNAME_FIELD
        # As accounts.names compares: ASCII case by the database, anything else folded here.
        candidates = User._default_manager.filter(
            Q(**{f"{field}__iexact": name}) | ~Q(**{f"{field}__regex": r"^[ -~]*$"})
        ).select_related("directory_account")
        existing = [user for user in candidates if names.fold(user.get_username()) == folded]
        if existing:
            user = existing[0]
            if hasattr(user, "directory_account"):
                return user, False
            audit.record(
                audit.Kind.NAME_REFUSED,
                request=request,
                username=name,
                detail=f"directory user {ldap_user.dn}: a local user not made by the directory has the name",
            )
            raise ldap_user.AuthenticationFailed(f"'{name}' is a local user's name")
        try:
            name = names.name_check(name, request=request)
        except ValidationError:
            raise ldap_user.AuthenticationFailed(f"the name '{name}' is taken") from None
        return User(**{User.USERNAME_FIELD: name}), True

    def directory_username(self, typed: str, ldap_user) -> str:
        attribute = self.site_ldap.username_attribute
        if not attribute:
            return typed
        values = (ldap_user.attrs or {}).get(attribute) or []
        if not values:
            raise ldap_user.AuthenticationFailed(f"{ldap_user.dn} has no {attribute}")
        return values[0]

    def authenticate_ldap_user(self, ldap_user, password):
        try:
            with transaction.atomic():
                user = super().authenticate_ldap_user(ldap_user, password)
                if user is not None:
                    DirectoryAccount.objects.update_or_create(
                        user=user, defaults={"dn": ldap_user.dn}
                    )
                    self.map_groups(user, ldap_user)
        except ldap.LDAPError as exc:
            # The groups could not be read: no login with groups out of date (nothing is kept).
            logger.error("LDAP error while reading the groups of %s: %s", ldap_user.dn, exc)
            return None
        return user

    def map_groups(self, user, ldap_user) -> None:
        """Set the Django groups that `auth.ldap.groups` maps from the user's directory groups."""
        mapping = self.site_ldap.groups
        if not mapping:
            return
        member_of = {dn_key(dn) for dn in ldap_user.group_dns}
        wanted: set[str] = set()
        managed: set[str] = set()
        for dn, group_names in mapping:
            managed.update(group_names)
            if dn_key(dn) in member_of:
                wanted.update(group_names)
        current = set(user.groups.filter(name__in=managed).values_list("name", flat=True))
        for name in sorted(wanted - current):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        gone = current - wanted
        if gone:
            user.groups.remove(*Group.objects.filter(name__in=gone))


def log_ldap_error(sender, context, user, request, exception, **kwargs):
    """The directory could not be asked (down, refused the bind DN, TLS): the login fails."""
    logger.error("LDAP error during %s: %s", context, exception)


def record_method(sender, request, user, **kwargs):
    if request is not None and getattr(user, "backend", "") == BACKEND:
        otp.record_login_method(request, METHOD)


ldap_backend.ldap_error.connect(log_ldap_error, dispatch_uid="accounts.ldap.log_ldap_error")
user_logged_in.connect(record_method, dispatch_uid="accounts.ldap.record_method")
