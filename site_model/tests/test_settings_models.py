"""settings.yaml read through its models (issue 23): every mistake with the words, line and
check id the hand-written reading gave it, and a sign-in method off while it cannot work."""

import pytest

from site_model.loader import current_site


def problems():
    return [problem.with_id() for problem in current_site().problems]


def test_every_mistake_of_the_site_settings_is_named(site_dir):
    site_dir.write(
        "settings.yaml",
        """
        titel: x
        title: [1]
        languages: [en, xx, yy]
        groups: [ok, 1bad, "b c"]
        auth:
          signup: maybe
          email_verification: sometimes
          providers: [google, myspace, "2x"]
          link_domains: {google: [nope, a.org], yahoo: [a.com], microsoft: 5}
          user_managers: {a: 1}
          bogus: 1
          otp:
            required_for: 5
            trusted_methods: [saml, carrier_pigeon]
            extra: 1
        users:
          fields: [1]
          self_edit: [nope]
          other: 1
        """,
    )
    assert problems() == [
        "settings.yaml:1: (site.E002) unknown key 'titel' in settings.yaml; allowed: title, "
        "languages, auth, groups, users",
        "settings.yaml:2: (site.E003) title must be a string, found a list",
        "settings.yaml:3: (site.E019) languages: unknown language 'xx'; languages: en, fr, de",
        "settings.yaml:3: (site.E019) languages: unknown language 'yy'; languages: en, fr, de",
        "settings.yaml:4: (site.E005) groups: id '1bad' must match [A-Za-z][A-Za-z0-9_-]*",
        "settings.yaml:4: (site.E005) groups: id 'b c' must match [A-Za-z][A-Za-z0-9_-]*",
        "settings.yaml:6: (site.E003) auth.signup must be true or false, found 'maybe'",
        "settings.yaml:7: (site.E004) auth.email_verification must be one of mandatory, optional, "
        "none; found 'sometimes'",
        "settings.yaml:8: (site.E005) auth.providers: id '2x' must match [A-Za-z][A-Za-z0-9_-]*",
        "settings.yaml:8: (site.E004) unknown provider 'myspace'; allowed: google, facebook, "
        "microsoft",
        "settings.yaml:9: (site.E016) auth.link_domains.google: 'nope' is not an e-mail domain "
        "such as example.com",
        "settings.yaml:9: (site.E004) auth.link_domains: unknown provider 'yahoo'; allowed: "
        "google, facebook, microsoft (SAML's is auth.saml.link_domains)",
        "settings.yaml:9: (site.E003) auth.link_domains.microsoft must be a list of e-mail "
        "domains, found a number",
        "settings.yaml:10: (site.E003) auth.user_managers must be a list of principals or one "
        "string of names, found a mapping",
        "settings.yaml:11: (site.E002) unknown key 'bogus' in auth; allowed: signup, "
        "email_verification, providers, link_domains, otp, user_managers, ldap, certificates, saml",
        "settings.yaml:13: (site.E003) auth.otp.required_for must be a list of principals or one "
        "string of names, found a number",
        "settings.yaml:14: (site.E004) unknown login method 'carrier_pigeon'; allowed: ldap, "
        "certificate, saml",
        "settings.yaml:15: (site.E002) unknown key 'extra' in auth.otp; allowed: required_for, "
        "trusted_methods",
        "settings.yaml:17: (site.E003) users.fields must be a mapping, found a list",
        "settings.yaml:18: (site.E009) users.self_edit names no profile field: nope; fields: none",
        "settings.yaml:19: (site.E002) unknown key 'other' in users; allowed: fields, self_edit",
    ]
    settings = current_site().settings
    # What is right is kept (deny by default: the broken principals name nobody).
    assert (settings.languages, settings.groups, settings.providers) == (
        ("en",),
        ("ok",),
        ("google",),
    )
    assert settings.link_domains == {"google": ("a.org",), "microsoft": ()}
    assert (settings.signup, settings.user_managers, settings.otp_trusted_methods) == (
        True,
        (),
        ("saml",),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "auth:\n  ldap:\n    server: [1]\n    user_search: 5\n",
            [
                "settings.yaml:3: (site.E003) auth.ldap.server must be a string, found a list",
                "settings.yaml:3: (site.E016) auth.ldap.server must be ldap://host[:port] or "
                "ldaps://host[:port], found ''",
                "settings.yaml:4: (site.E003) auth.ldap.user_search must be a mapping, found a "
                "number",
                "settings.yaml:4: (site.E007) auth.ldap.user_search needs base (a DN) and filter "
                "(e.g. '(uid=%(user)s)')",
            ],
        ),
        (
            "auth:\n  ldap:\n    start_tls: false\n",
            [
                "settings.yaml:3: (site.E007) auth.ldap needs server (ldap://host or ldaps://host)",
                "settings.yaml:3: (site.E007) auth.ldap.user_search needs base (a DN) and filter "
                "(e.g. '(uid=%(user)s)')",
            ],
        ),
        (
            "auth:\n  ldap:\n    server: ldap://x\n"
            '    user_search: {base: b, filter: "(uid=%(user)s)"}\n'
            "    group_search: 5\n    require_group: x\n",
            [
                "settings.yaml:5: (site.E003) auth.ldap.group_search must be a mapping, found a "
                "number",
                "settings.yaml:5: (site.E007) auth.ldap.group_search needs base (a DN)",
            ],
        ),
        (
            "auth:\n  saml: 5\n",
            [
                "settings.yaml:2: (site.E003) auth.saml must be a mapping, found a number",
                "settings.yaml:2: (site.E007) auth.saml needs `idp`: metadata_url, "
                "metadata_file, or entity_id + sso_url + x509cert",
                "settings.yaml:2: (site.E016) auth.saml.idp needs exactly one of metadata_url, "
                "metadata_file or sso_url",
            ],
        ),
        (
            "auth:\n  saml:\n",
            [
                "settings.yaml:2: (site.E003) auth.saml must be a mapping with at least `idp`, "
                "found nothing"
            ],
        ),
        (
            "auth:\n  certificates: 5\n",
            [
                "settings.yaml:2: (site.E003) auth.certificates must be a mapping, found a number",
                "settings.yaml:2: (site.E007) auth.certificates needs email: true or "
                "subject_pattern (a regex with (?P<username>...))",
            ],
        ),
    ],
    ids=["ldap-kinds", "ldap-needs", "ldap-group-search", "saml-kind", "saml-nothing", "certs"],
)
def test_a_sign_in_method_that_cannot_work_is_named_and_off(site_dir, text, expected):
    site_dir.write("settings.yaml", text)
    assert problems() == expected
    settings = current_site().settings
    assert (settings.ldap, settings.saml, settings.certificates) == (None, None, None)


def test_saml_keeps_the_lines_of_its_keys(site_dir):
    site_dir.write(
        "settings.yaml",
        "auth:\n  saml:\n    idp:\n      metadata_file: idp.xml\n    groups: {}\n",
    )
    assert problems() == []
    assert current_site().settings.saml.lines == {
        "saml": 2,
        "idp": 3,
        "groups": 5,
        "idp.metadata_file": 4,
    }
