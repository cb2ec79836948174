"""settings.yaml `auth.ldap`, `auth.certificates` and `auth.otp.trusted_methods` (issue 16)."""

from site_model.loader import current_site
from site_model.spec import CertificateSettings, LdapSettings


def problems():
    return [str(problem) for problem in current_site().problems]


def test_a_full_ldap_and_certificate_configuration_reads_into_settings(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        title: Corp
        auth:
          otp:
            required_for: [admins]
            trusted_methods: [certificate]
          ldap:
            server: ldap://dc1.corp.example ldap://dc2.corp.example
            start_tls: true
            user_search:
              base: OU=Staff,DC=corp,DC=example
              filter: "(&(sAMAccountName=%(user)s)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
            username_attribute: sAMAccountName
            attributes: {first_name: givenName, email: mail}
            group_search:
              base: OU=Groups,DC=corp,DC=example
              filter: (objectClass=group)
              type: active_directory_in_chain
            groups:
              CN=Sales,OU=Groups,DC=corp,DC=example: [PurchaseDepartment, sales]
              CN=IT,OU=Groups,DC=corp,DC=example: admins
            deny_group: CN=Leavers,OU=Groups,DC=corp,DC=example
          certificates:
            email: true
            subject_pattern: "CN=(?P<username>[^,]+),OU=Staff,O=Corp"
        """,
    )
    assert problems() == []
    settings = current_site().settings
    assert settings.otp_trusted_methods == ("certificate",)
    assert settings.ldap == LdapSettings(
        server="ldap://dc1.corp.example ldap://dc2.corp.example",
        start_tls=True,
        user_search_base="OU=Staff,DC=corp,DC=example",
        user_filter="(&(sAMAccountName=%(user)s)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
        username_attribute="sAMAccountName",
        attributes=(("first_name", "givenName"), ("email", "mail")),
        group_search_base="OU=Groups,DC=corp,DC=example",
        group_filter="(objectClass=group)",
        group_type="active_directory_in_chain",
        groups=(
            ("CN=Sales,OU=Groups,DC=corp,DC=example", ("PurchaseDepartment", "sales")),
            ("CN=IT,OU=Groups,DC=corp,DC=example", ("admins",)),
        ),
        deny_group="CN=Leavers,OU=Groups,DC=corp,DC=example",
    )
    assert settings.certificates == CertificateSettings(
        email=True, subject_pattern="CN=(?P<username>[^,]+),OU=Staff,O=Corp"
    )


def test_every_mistake_in_the_new_keys_is_named_with_its_line(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        title: T
        auth:
          otp:
            trusted_methods: [certificate, magic]
          ldap:
            server: http://dc1
            start_tls: maybe
            user_search: {base: "OU=Staff", filter: "uid=%(user)s"}
            group_search: {base: "OU=Groups", type: novell}
            groups: {"CN=A,OU=Groups": [bad name]}
            colour: blue
          certificates:
            subject_pattern: "CN=(?P<user>.*)"
        """,
    )
    assert problems() == [
        "settings.yaml:4: unknown login method 'magic'; allowed: ldap, certificate, saml",
        "settings.yaml:6: auth.ldap.server must be ldap://host[:port] or ldaps://host[:port], found 'http://dc1'",
        "settings.yaml:7: auth.ldap.start_tls must be true or false, found 'maybe'",
        "settings.yaml:8: auth.ldap.user_search.filter must be an LDAP filter in parentheses, found 'uid=%(user)s'",
        "settings.yaml:9: auth.ldap.group_search.type must be one of group_of_names, "
        "nested_group_of_names, group_of_unique_names, posix, active_directory, "
        "nested_active_directory, active_directory_in_chain; found 'novell'",
        "settings.yaml:10: auth.ldap.groups 'CN=A,OU=Groups': id 'bad name' must match [A-Za-z][A-Za-z0-9_-]*",
        "settings.yaml:11: unknown key 'colour' in auth.ldap; allowed: server, start_tls, "
        "user_search, username_attribute, attributes, group_search, groups, require_group, deny_group",
        "settings.yaml:13: auth.certificates.subject_pattern needs a group (?P<username>...) "
        "naming the user, found 'CN=(?P<user>.*)'",
    ]
    settings = current_site().settings
    assert settings.ldap is None and settings.certificates is None
    assert settings.otp_trusted_methods == ("certificate",)


def test_a_user_filter_without_the_user_and_groups_without_a_group_search(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        auth:
          ldap:
            server: ldaps://dc1
            start_tls: true
            user_search: {base: "OU=Staff", filter: "(objectClass=person)"}
            require_group: CN=Staff
          certificates: {}
        """,
    )
    assert problems() == [
        "settings.yaml:4: auth.ldap.start_tls is for ldap:// servers; ldaps:// is encrypted already",
        "settings.yaml:5: auth.ldap.user_search.filter must contain %(user)s (the name typed at login), "
        "found '(objectClass=person)'",
        "settings.yaml:6: auth.ldap.require_group needs auth.ldap.group_search",
        "settings.yaml:7: auth.certificates needs email: true or subject_pattern (a regex with (?P<username>...))",
    ]


def test_groups_without_a_group_search_are_left_out(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        auth:
          ldap:
            server: ldap://dc1
            user_search: {base: "OU=Staff", filter: "(uid=%(user)s)"}
            groups: {"CN=IT": admins}
            deny_group: CN=Leavers
        """,
    )
    assert problems() == [
        "settings.yaml:5: auth.ldap.groups needs auth.ldap.group_search",
        "settings.yaml:6: auth.ldap.deny_group needs auth.ldap.group_search",
    ]
    ldap = current_site().settings.ldap
    assert (ldap.groups, ldap.deny_group) == ((), "")
