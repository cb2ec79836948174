"""What a site file may say, declared once: one model per kind of file, and its JSON Schema.

The models (pydantic) name every key of `settings.yaml`, `pages/*.yaml`, `apps/*/settings.yaml`
and `apps/*/blocks/*.yaml` with the kind of its value. The loader validates each file with
them, and `site_schema(kind)` turns them into the JSON Schema that an editor (VS Code
with the YAML extension, any yaml-language-server) uses for completion and errors as the site
builder types, served at /api/v1/site-schema/<kind>.json and written by
`manage.py site_schema`. An element's keys come from its type's definition (`yaml_fields` in
site_model.elements: `element_model(type)`), so a new type is in the schema without a change here.

The loader validates each file with its model (site_model.typed): the value types below raise
each problem in the loader's words with its check id, and typed puts it at its line. What a
schema cannot know (a block that does not exist, a function missing from the .py, min above
max, an IdP given two ways) only the models' validators and the loader say.
site_model/tests/test_site_schema.py keeps the schema and the loader in step.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    WithJsonSchema,
    WrapValidator,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import typed
from .elements import RULES, TYPES, ElementType, input_type_names, second_factor_minutes
from .spec import (
    EMAIL_VERIFICATION,
    ID_RULE,
    INDEX_TYPES,
    LDAP_GROUP_TYPES,
    LOGIN_METHODS,
    MODES,
    PROFILE_STAMP,
    PROVIDERS,
    RIGHTS,
    SAML_FIELDS,
    SECOND_FACTOR_MAX_MINUTES,
    STAMPS,
    is_valid_id,
    parse_principals,
)
from .texts import LANGUAGES

ID_PATTERN = f"^{ID_RULE}$"
HOOKS = ("on_display", "on_save", "on_delete", "record_id")
RESERVED_ELEMENT_IDS = frozenset({"actions", "id", "block", *HOOKS})

Id = Annotated[str, Field(pattern=ID_PATTERN)]
# A string where the loader also takes a number as its text (`title: 2026`), or one text per
# language code (`title: {en: Sales, fr: Ventes}`, contract §13).
LanguageCode = Literal[tuple(LANGUAGES)]
Text = Annotated[str | float | dict[LanguageCode, str | float] | None, Field()]
# A text the loader reads itself (YamlFile.text: a problem at the line of a language code).
AnyText = Annotated[Any, WithJsonSchema(TypeAdapter(Text).json_schema())]


PYTHON_RE = ConfigDict(regex_engine="python-re")


def checked(schema_of, check) -> Any:
    """A value checked by `check` (which raises the problem in the loader's words, its type the
    check id), described in the JSON Schema as `schema_of` is."""
    return Annotated[
        Any,
        AfterValidator(check),
        WithJsonSchema(TypeAdapter(schema_of, config=PYTHON_RE).json_schema()),
    ]


kind_of_value = typed.kind_of_value


def _principals(value: Any) -> tuple[str, ...]:
    parsed = parse_principals(value)
    if parsed is None:
        # Deny by default: principals that cannot be read name nobody.
        raise PydanticCustomError(
            "site.E003",
            "must be a list of principals or one string of names, found {found}",
            {"found": kind_of_value(value), "instead": []},
        )
    return parsed


def _ids(value: Any) -> tuple[str, ...]:
    """Ids, in a list or one string; each one that is not an id is a problem of its own."""
    parsed = parse_principals(value)
    if parsed is None:
        raise PydanticCustomError(
            "site.E003",
            "must be a list of ids, found {found}",
            {"found": kind_of_value(value), "instead": []},
        )
    bad = [item for item in parsed if not is_valid_id(item)]
    if bad:
        raise PydanticCustomError(
            "site.E005",
            ": id '{bad}' must match {rule}",
            {"bad": bad[0], "rule": ID_RULE, "instead": [i for i in parsed if i != bad[0]]},
        )
    return parsed


def _known(allowed: tuple[str, ...], words: str):
    """Ids each of which is one of `allowed`; `words` say an unknown one ({name}, {allowed})."""

    def check(value: Any) -> tuple[str, ...]:
        names = _ids(value)
        unknown = [name for name in names if name not in allowed]
        if unknown:
            raise PydanticCustomError(
                "site.E004",
                words,
                {
                    "name": unknown[0],
                    "allowed": ", ".join(allowed),
                    "alone": True,
                    "instead": [name for name in names if name != unknown[0]],
                },
            )
        return names

    return check


def _languages(value: Any, info) -> tuple[str, ...]:
    """settings.yaml `languages: [en, fr]`: known codes, the first is the default."""
    parsed = parse_principals(value)
    if not parsed:
        if parsed is not None and typed.said(info, "languages", "site.E019"):
            return ("en",)  # every code was unknown, each said
        raise PydanticCustomError(
            "site.E003",
            "must be a list of language codes, found {found}",
            {"found": kind_of_value(value)},
        )
    unknown = [code for code in parsed if code not in LANGUAGES]
    if unknown:
        raise PydanticCustomError(
            "site.E019",
            ": unknown language '{code}'; languages: {languages}",
            {
                "code": unknown[0],
                "languages": ", ".join(LANGUAGES),
                "instead": [code for code in parsed if code != unknown[0]],
            },
        )
    return tuple(dict.fromkeys(parsed))


# An e-mail domain as a site builder writes one: labels of letters, digits and hyphens.
DOMAIN = re.compile(r"(?i)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+")


def _domains(value: Any) -> tuple[str, ...]:
    """E-mail domains (`example.com`), lower-cased; a list or one string of them."""
    parsed = parse_principals(value)
    if parsed is None:
        raise PydanticCustomError(
            "site.E003",
            "must be a list of e-mail domains, found {found}",
            {"found": kind_of_value(value), "instead": []},
        )
    bad = [item for item in parsed if not DOMAIN.fullmatch(item)]
    if bad:
        raise PydanticCustomError(
            "site.E016",
            ": '{bad}' is not an e-mail domain such as example.com",
            {"bad": bad[0], "instead": [item for item in parsed if item != bad[0]]},
        )
    return tuple(item.lower() for item in parsed)


def _provider_key(value: Any) -> str:
    if value not in PROVIDERS:
        raise PydanticCustomError(
            "site.E004",
            "unknown provider '{name}'; allowed: {allowed} (SAML's is auth.saml.link_domains)",
            {"name": value, "allowed": ", ".join(PROVIDERS)},
        )
    return value


def _boolean(instead: bool | None = None):
    """true or false; a broken value is left out, or stands for `instead`."""

    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise PydanticCustomError(
                "site.E003",
                "must be true or false, found {found}",
                {"found": repr(value), "instead": instead},
            )
        return value

    return check


def _key_id(words: str, reserved: frozenset[str] = frozenset(), alone: bool = False):
    """A key that must be an id; `words` follow "<where>: ", or stand `alone`."""

    def check(value: str) -> str:
        if not is_valid_id(value) or value in reserved:
            context = {"key": value, "rule": ID_RULE, "alone": alone}
            raise PydanticCustomError("site.E005", words, context)
        return value

    return check


Principals = checked(
    Annotated[
        list[str] | str,
        Field(
            description="a list of principals (user names, groups, roles), or one string of them"
        ),
    ],
    _principals,
)
Ids = checked(
    Annotated[list[Id] | Annotated[str, Field(pattern=r"^[\s,A-Za-z0-9_-]*$")], Field()], _ids
)
Boolean = checked(bool, _boolean())
# A page or block that meant to ask for a fresh sign-in never goes without one.
FreshLogin = checked(bool, _boolean(instead=True))


class Strict(BaseModel):
    """A YAML mapping: unknown keys are mistakes."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re")


# --- settings.yaml --------------------------------------------------------------------------


class Otp(Strict):
    required_for: Principals = None
    trusted_methods: checked(
        list[Literal[LOGIN_METHODS]],
        _known(LOGIN_METHODS, "unknown login method '{name}'; allowed: {allowed}"),
    ) = None


def _string(value: Any) -> str:
    """A string as the loader takes one (a number as its text, nothing as "")."""
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise PydanticCustomError(
        "site.E003",
        "must be a string, found {found}",
        {"found": kind_of_value(value), "instead": ""},
    )


def _subject_pattern(value: Any) -> str:
    pattern = _string(value)
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise PydanticCustomError(
            "site.E016", "is not a regex: {error}", {"error": str(exc)}
        ) from None
    if "username" not in compiled.groupindex:
        raise PydanticCustomError(
            "site.E016",
            "needs a group (?P<username>...) naming the user, found '{found}'",
            {"found": pattern},
        )
    return pattern


def _a_mapping(value: Any) -> Any:
    """A mapping, or nothing for an empty one; anything else is a problem and stands for {}
    (so that what the mapping needs is said too)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PydanticCustomError(
            "site.E003",
            "must be a mapping, found {found}",
            {"found": kind_of_value(value), "instead": {}},
        )
    return value


def _ldap_filter(needs_user: bool, instead: str | None = None):
    """An LDAP search filter: in parentheses, balanced, with `%(user)s` where one is needed; a
    broken one stands for `instead` (a group search's reads every group)."""

    def check(value: Any) -> str:
        text = _string(value).strip()
        depth = 0
        for char in text:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                break
        problem = None
        if not (text.startswith("(") and text.endswith(")")) or depth != 0:
            problem = "must be an LDAP filter in parentheses, found '{found}'"
        else:
            try:
                text % {"user": "x"}
            except (KeyError, ValueError, TypeError):
                problem = ": '%' may only appear as %(user)s (write %% for a percent sign), found '{found}'"
        if problem is None and needs_user and "%(user)s" not in text:
            problem = "must contain %(user)s (the name typed at login), found '{found}'"
        if problem is not None:
            raise PydanticCustomError("site.E016", problem, {"found": text, "instead": instead})
        return text

    return check


def _ldap_server(value: Any) -> str:
    server = _string(value).strip()
    uris = server.split()
    if not uris or not all(uri.startswith(("ldap://", "ldaps://")) for uri in uris):
        raise PydanticCustomError(
            "site.E016",
            "must be ldap://host[:port] or ldaps://host[:port], found '{found}'",
            {"found": server},
        )
    return server


def _needed(words: str, key: str | tuple):
    """A key the mapping needs: absent, it is a problem in `words` (once)."""

    def check(value: Any, handler, info) -> Any:
        if value is None and typed.said(info, key):
            return None
        if value is not None or typed.given(info, key):
            return handler(value)
        raise PydanticCustomError("site.E007", words, {"alone": True})

    return WrapValidator(check)


def _after_group_search(key: str):
    """`groups`, `require_group` and `deny_group` mean something only with a group search."""

    def check(value: Any, handler, info) -> Any:
        if not typed.given(info, ("ldap", "group_search")):
            raise PydanticCustomError(
                "site.E013",
                "auth.ldap.{key} needs auth.ldap.group_search",
                {"key": key, "alone": True, "key_line": True},
            )
        return handler(value)

    return WrapValidator(check)


def _not_with_ldaps(value: bool, info) -> bool:
    server = info.data.get("server") or ""
    if value and server.startswith("ldaps://") and not typed.said(info, "start_tls", "site.E013"):
        raise PydanticCustomError(
            "site.E013",
            "auth.ldap.start_tls is for ldap:// servers; ldaps:// is encrypted already",
            {"alone": True, "instead": True},
        )
    return value


def _nothing_as_text(data: Any, keys: tuple[str, ...]) -> Any:
    """These keys written with nothing are "" (a string the loader reads, then checks)."""
    if isinstance(data, dict):
        return {k: ("" if v is None and k in keys else v) for k, v in data.items()}
    return data


String = checked(str, _string)
LdapAttribute = checked(
    Literal["first_name", "last_name", "email"],
    lambda key: (
        key
        if key in ("first_name", "last_name", "email")
        else _raise(
            "site.E002",
            "unknown key '{key}' in auth.ldap.attributes; allowed: first_name, last_name, email",
            {"key": key, "alone": True},
        )
    ),
)


def _raise(check: str, words: str, context: dict):
    raise PydanticCustomError(check, words, context)


class LdapUserSearch(Strict):
    model_config = ConfigDict(json_schema_extra={"required": ["base", "filter"]})
    base: String = None
    filter: checked(
        Annotated[str, Field(pattern=r"^\(.*%\(user\)s.*\)$")], _ldap_filter(needs_user=True)
    ) = None

    @model_validator(mode="before")
    @classmethod
    def _base_and_filter(cls, data: Any, info) -> Any:
        written = all(typed.given(info, ("user_search", key)) for key in ("base", "filter"))
        if isinstance(data, dict) and not written:
            if not typed.said(info, ("ldap", "user_search"), "site.E007"):
                raise PydanticCustomError(
                    "site.E007",
                    "auth.ldap.user_search needs base (a DN) and filter (e.g. '(uid=%(user)s)')",
                    {"alone": True},
                )
        return _nothing_as_text(data, ("base", "filter"))


class LdapGroupSearch(Strict):
    model_config = ConfigDict(json_schema_extra={"required": ["base"]})

    @model_validator(mode="before")
    @classmethod
    def _nothing_is_text(cls, data: Any) -> Any:
        return _nothing_as_text(data, ("base", "filter"))

    base: Annotated[
        String, _needed("auth.ldap.group_search needs base (a DN)", ("group_search", "base"))
    ] = Field(None, validate_default=True)
    filter: checked(
        Annotated[str, Field(pattern=r"^\(.*\)$")],
        _ldap_filter(needs_user=False, instead="(objectClass=*)"),
    ) = None
    type: Literal[LDAP_GROUP_TYPES] = "group_of_names"


class Ldap(Strict):
    """`auth.ldap`: off (None in the site's settings) while one of the keys it needs is missing
    or broken (docs/accounts.md, LDAP)."""

    model_config = ConfigDict(json_schema_extra={"required": ["server", "user_search"]})
    named_entries: ClassVar[dict[str, str]] = {"groups": " '{}'"}

    @model_validator(mode="before")
    @classmethod
    def _not_empty(cls, data: Any, info) -> Any:
        if data == {} and not any(typed.given(info, ("ldap", key)) for key in cls.model_fields):
            raise PydanticCustomError(
                "site.E007", "auth.ldap needs server and user_search", {"alone": True}
            )
        return _nothing_as_text(data, ("server",))

    server: Annotated[
        checked(Annotated[str, Field(pattern=r"^\s*ldaps?://")], _ldap_server),
        _needed("auth.ldap needs server (ldap://host or ldaps://host)", ("ldap", "server")),
    ] = Field(None, validate_default=True)
    start_tls: Annotated[Boolean, AfterValidator(_not_with_ldaps)] = False
    user_search: Annotated[LdapUserSearch, BeforeValidator(_a_mapping)] = Field(
        None, validate_default=True
    )
    username_attribute: String = None
    attributes: dict[LdapAttribute, String] | None = None
    group_search: Annotated[LdapGroupSearch, BeforeValidator(_a_mapping)] = None
    groups: Annotated[dict[str, Ids] | None, _after_group_search("groups")] = None
    require_group: Annotated[String, _after_group_search("require_group")] = None
    deny_group: Annotated[String, _after_group_search("deny_group")] = None

    @property
    def works(self) -> bool:
        """Whether LDAP can sign people in as written: every key it needs is there and right."""
        search, groups = self.user_search, self.group_search
        return bool(
            self.server
            and search is not None
            and search.filter
            and (groups is None or groups.base is not None)
        )


class Certificates(Strict):
    email: Boolean = False
    subject_pattern: checked(
        Annotated[str, Field(pattern=r"\(\?P<username>")], _subject_pattern
    ) = None

    @model_validator(mode="after")
    def _names_a_user(self, info) -> Certificates:
        if not (self.email or self.subject_pattern or typed.said(info, "subject_pattern")):
            raise PydanticCustomError(
                "site.E007",
                "needs email: true or subject_pattern (a regex with (?P<username>...))",
            )
        return self


Domains = checked(
    Annotated[list[str] | str, Field(description="e-mail domains, such as example.com")], _domains
)


def _secure_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _kept(check: str, words: str, key: str):
    """A value `check`s; a wrong one is a problem (once) and is kept as written: the site's
    settings leave the method off anyway, and the checks across keys still count it."""

    def validate(value: Any, info) -> str:
        text = _string(value).strip()
        if text and not check(text) and not typed.said(info, key, "site.E016"):
            raise PydanticCustomError("site.E016", words, {"found": text, "instead": text})
        return text

    return validate


SecureUrl = Annotated[str, Field(pattern=r"^https://|^http://(127\.0\.0\.1|localhost)")]
InsideSite = Annotated[str, Field(description="a path inside the site folder")]
URL_WORDS = "must be an https:// URL (http:// only for 127.0.0.1 or localhost), found '{found}'"
PATH_WORDS = "must be a path inside the site folder, found '{found}'"


def _inside_site(path: str) -> bool:
    return not (path.startswith("/") or ".." in Path(path).parts)


IdpText = checked(str, lambda value: _string(value).strip())


class SamlIdp(Strict):
    """One way to know the IdP: metadata by URL, metadata in a file, or given by hand."""

    metadata_url: checked(SecureUrl, _kept(_secure_url, URL_WORDS, "metadata_url")) = None
    metadata_file: checked(InsideSite, _kept(_inside_site, PATH_WORDS, "metadata_file")) = None
    entity_id: IdpText = None
    sso_url: checked(SecureUrl, _kept(_secure_url, URL_WORDS, "sso_url")) = None
    x509cert: IdpText = None
    x509cert_file: checked(InsideSite, _kept(_inside_site, PATH_WORDS, "x509cert_file")) = None

    @model_validator(mode="after")
    def _one_way(self, info) -> SamlIdp:
        for tag, words in self._problems():
            if not typed.said(info, "idp", tag):
                raise PydanticCustomError(
                    "site.E007" if tag != "one" else "site.E016",
                    words,
                    {
                        "alone": True,
                        "key_if_absent": True,
                        "said_as": tag,
                        "instead": self.model_dump(exclude_unset=True),
                    },
                )
        return self

    def _problems(self) -> list[tuple[str, str]]:
        given = [key for key in ("metadata_url", "metadata_file", "sso_url") if getattr(self, key)]
        if len(given) != 1:
            found = f"; found {', '.join(given)}" if given else ""
            words = "auth.saml.idp needs exactly one of metadata_url, metadata_file or sso_url"
            return [("one", words + found)]
        found = []
        if self.sso_url and not self.entity_id:
            found.append(("entity_id", "auth.saml.idp with sso_url needs entity_id too"))
        if self.sso_url and bool(self.x509cert) == bool(self.x509cert_file):
            words = "auth.saml.idp with sso_url needs its certificate: x509cert or x509cert_file"
            found.append(("certificate", words))
        return found


class SamlSp(Strict):
    entity_id: IdpText = None


def _attribute_names(value: Any) -> tuple[str, ...]:
    names = parse_principals(value) if not isinstance(value, dict) else None
    if not names:
        raise PydanticCustomError(
            "site.E003",
            "must be an attribute name or a list of them, found {found}",
            {"found": kind_of_value(value)},
        )
    return names


def _saml_field(key: Any) -> str:
    if key not in SAML_FIELDS:
        raise PydanticCustomError(
            "site.E002",
            "unknown key '{key}' in auth.saml.attributes; allowed: {allowed}",
            {"key": key, "allowed": ", ".join(SAML_FIELDS), "alone": True},
        )
    return key


def _saml_groups_need_their_attribute(value: Any, handler, info) -> Any:
    """`groups` maps values of the groups attribute: `attributes.groups` must name it."""
    named = typed.given(info, ("attributes", "groups")) and not typed.said(
        info, ("attributes", "groups")
    )
    if value and not named and not typed.said(info, ("saml", "groups"), "site.E013"):
        raise PydanticCustomError(
            "site.E013",
            "auth.saml.groups needs auth.saml.attributes.groups: the attribute that holds them",
            {"alone": True, "key_line": True, "instead": value},
        )
    return handler(value)


def _saml_idp(value: Any, handler, info) -> Any:
    if value is None and not typed.given(info, ("saml", "idp")):
        if not typed.said(info, ("saml", "idp"), "site.E007"):
            raise PydanticCustomError(
                "site.E007",
                "auth.saml needs `idp`: metadata_url, metadata_file, or entity_id + sso_url + x509cert",
                {"alone": True, "key_line": True, "instead": {}},
            )
    return handler(_a_mapping(value))


def _saml_slug(value: Any) -> str:
    slug = _string(value)
    if not is_valid_id(slug):
        raise PydanticCustomError(
            "site.E005", ": '{slug}' must match {rule}", {"slug": slug, "rule": ID_RULE}
        )
    return slug


class Saml(Strict):
    """`auth.saml`: off (None in the site's settings) after any problem in it."""

    named_entries: ClassVar[dict[str, str]] = {"groups": "['{}']"}
    slug: checked(Id, _saml_slug) = None
    name: IdpText = None
    idp: Annotated[SamlIdp, WrapValidator(_saml_idp)] = Field(None, validate_default=True)
    sp: Annotated[SamlSp, BeforeValidator(_a_mapping)] = None
    attributes: (
        dict[
            checked(Literal[SAML_FIELDS], _saml_field),
            checked(Annotated[list[str] | str, Field()], _attribute_names),
        ]
        | None
    ) = None
    groups: Annotated[dict[str, Ids] | None, WrapValidator(_saml_groups_need_their_attribute)] = (
        None
    )
    idp_initiated: Boolean = False
    signup: Boolean = True
    link_domains: Domains = None


def _saml_given(value: Any) -> Any:
    """`saml:` with nothing is a problem of its own (it is not an empty mapping)."""
    if value is None:
        raise PydanticCustomError(
            "site.E003",
            "auth.saml must be a mapping with at least `idp`, found nothing",
            {"alone": True, "key_line": True},
        )
    return _a_mapping(value)


class Auth(Strict):
    signup: Boolean = True
    email_verification: Literal[EMAIL_VERIFICATION] = "optional"
    providers: checked(
        list[Literal[PROVIDERS]], _known(PROVIDERS, "unknown provider '{name}'; allowed: {allowed}")
    ) = None
    link_domains: dict[checked(Literal[PROVIDERS], _provider_key), Domains] | None = None
    otp: Otp | None = None
    user_managers: Principals = None
    ldap: Ldap | None = None
    certificates: Annotated[Certificates, BeforeValidator(_a_mapping)] = None
    saml: Annotated[Saml, BeforeValidator(_saml_given)] = None


def _profile_fields_schema(schema: dict[str, Any]) -> None:
    """`users.fields`: field names -> an input element (its keys given by its type)."""
    schema["additionalProperties"] = element_schema()
    schema["propertyNames"] = {"pattern": ID_PATTERN}


class Users(Strict):
    """What a user has besides name, e-mail and groups (docs/accounts.md, "Profile fields")."""

    fields: Annotated[dict[str, Any] | None, Field(json_schema_extra=_profile_fields_schema)] = None
    self_edit: Ids = None


class SiteSettingsFile(Strict):
    """settings.yaml: the site's title, its groups, and how people sign in (docs/accounts.md)."""

    title: AnyText = None
    languages: checked(
        Annotated[
            list[LanguageCode],
            Field(description="the languages visitors may choose; the first is the default"),
        ],
        _languages,
    ) = None
    auth: Auth | None = None
    groups: Ids = None
    users: Users | None = None


# --- pages/<name>.yaml ----------------------------------------------------------------------


class SecondFactor(Strict):
    """`second_factor: {within: <minutes>}`: a code given within that many minutes."""

    within: Annotated[int, Field(ge=1, le=SECOND_FACTOR_MAX_MINUTES)]


class PageBlock(Strict):
    app: Id
    block: Id


RESERVED_PREFIXES = (
    "/apps/",
    "/api/",
    "/accounts/",
    "/admin/",
    "/static/",
    "/people/",
    "/preview/",
)


def _page_path(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PydanticCustomError(
            "site.E003", "must be a string, found {found}", {"found": kind_of_value(value)}
        )
    path = str(value)
    if not path.startswith("/"):
        raise PydanticCustomError(
            "site.E018", "must start with '/', found '{found}'", {"found": path}
        )
    if path.startswith(RESERVED_PREFIXES):
        raise PydanticCustomError(
            "site.E008",
            "path '{found}' is taken by the site's own routes ({prefixes})",
            {"found": path, "prefixes": ", ".join(RESERVED_PREFIXES), "alone": True},
        )
    return path


def _page_block(value: Any) -> tuple[str, str]:
    """`app/block` or `{app: …, block: …}`, as (app, block)."""
    if isinstance(value, str) and value.count("/") == 1:
        app_id, block_id = value.split("/")
    elif isinstance(value, dict):
        unknown = [key for key in value if key not in PageBlock.model_fields]
        if unknown:
            raise PydanticCustomError(
                "site.E002",
                "unknown key '{key}' in a page block; allowed: app, block",
                {"key": unknown[0], "alone": True},
            )
        if set(value) != {"app", "block"}:
            raise PydanticCustomError(
                "site.E007",
                "a page block as a mapping needs both 'app' and 'block'",
                {"alone": True},
            )
        app_id, block_id = str(value["app"]), str(value["block"])
    else:
        raise PydanticCustomError(
            "site.E003",
            "a page block must be 'app/block' or {app: …, block: …}, found {found}",
            {"found": repr(value), "alone": True},
        )
    if not (is_valid_id(app_id) and is_valid_id(block_id)):
        raise PydanticCustomError(
            "site.E005",
            "block '{name}': ids must match {rule}",
            {"name": f"{app_id}/{block_id}", "rule": ID_RULE, "alone": True},
        )
    return app_id, block_id


def _a_list(value: Any) -> list:
    if not isinstance(value, list):
        raise PydanticCustomError(
            "site.E003", "must be a list of 'app/block' names", {"found": kind_of_value(value)}
        )
    return value


PagePath = checked(
    Annotated[str, Field(pattern=r"^/(?!(apps|api|accounts|admin|static|people|preview)/)")],
    _page_path,
)
PageBlocks = Annotated[
    list[
        Annotated[
            Annotated[str, Field(pattern=f"^{ID_RULE}/{ID_RULE}$")] | PageBlock,
            WrapValidator(lambda value, _: _page_block(value)),
        ]
    ],
    WrapValidator(lambda value, handler: handler(_a_list(value))),
]


class PageFile(Strict):
    """pages/<name>.yaml: a page and the blocks it shows, top to bottom (docs/blocks.md)."""

    path: PagePath = None
    title: AnyText = None
    view_permission: Principals = None
    fresh_login: FreshLogin = None
    blocks: PageBlocks = None


# --- apps/<app>/settings.yaml ---------------------------------------------------------------


Rights = create_model("Rights", __base__=Strict, **dict.fromkeys(RIGHTS, (Principals, None)))


class FieldRule(Strict):
    """Who may read and who may write one item; a missing key follows the record's rights."""

    read: Principals = None
    write: Principals = None


RoleName = checked(Id, _key_id("role name '{key}' must match {rule}", alone=True))
FieldItem = checked(Id, _key_id("item '{key}' must match {rule}"))


class Acl(Strict):
    rights: Rights | None = None
    roles: dict[RoleName, Principals] | None = None
    row_owners: Ids = None
    fields: dict[FieldItem, FieldRule] | None = Field(
        default=None,
        description="per item: who may read it and who may write it (contract §10)",
    )


def _stamp(value: Any) -> str:
    if value in STAMPS or (
        isinstance(value, str)
        and value.startswith(PROFILE_STAMP)
        and is_valid_id(value.removeprefix(PROFILE_STAMP))
    ):
        return value
    raise PydanticCustomError(
        "site.E004",
        "must be one of {stamps} or profile.<field>; found {found}",
        {"stamps": ", ".join(STAMPS), "found": repr(value)},
    )


Stamp = checked(
    Annotated[
        str,
        Field(
            pattern=r"^(user\.username|user\.email|profile\.[A-Za-z][A-Za-z0-9_-]*)$",
            description="what the server writes into the item from the record's creator",
        ),
    ],
    _stamp,
)
OnCreateItem = checked(Id, _key_id("item '{key}' must be an element id", RESERVED_ELEMENT_IDS))


class AppSettingsFile(Strict):
    """apps/<app>/settings.yaml: the app's title, its debug switch, its ACL and the items
    written from a record's creator (`on_create`)."""

    title: AnyText = None
    debug: Boolean = False
    acl: Acl | None = None
    on_create: dict[OnCreateItem, Stamp] | None = None


# --- apps/<app>/blocks/<block>.yaml ---------------------------------------------------------


def _elements_schema(schema: dict[str, Any]) -> None:
    """The `elements` mapping: element ids -> an element, its keys given by its type."""
    schema["additionalProperties"] = element_schema()
    reserved = "|".join(sorted(RESERVED_ELEMENT_IDS))
    schema["propertyNames"] = {"pattern": f"^(?!({reserved})$){ID_RULE}$"}


def _second_factor(value: Any, _handler) -> int:
    """The minutes; a broken value is a problem and stands for one minute (the strictest)."""
    minutes, problem = second_factor_minutes(value, "second_factor")
    if problem is not None:
        message, check = problem
        raise PydanticCustomError(
            check,
            message,  # pydantic fills in only the keys of the context: {within: …} stays
            {"alone": True, "instead": {"within": 1}},
        )
    return minutes


class BlockFile(Strict):
    """apps/<app>/blocks/<block>.yaml: the block's elements (docs/blocks.md)."""

    # The loader reads each element with its type's model (element_model).
    elements: Annotated[dict[str, Any] | None, Field(json_schema_extra=_elements_schema)] = None
    target: Literal["ajax"] = None
    title: AnyText = None
    # Which input elements there are is the loader's question (the elements are read there).
    title_element: Annotated[Any, WithJsonSchema(TypeAdapter(Id).json_schema())] = None
    view_permission: Principals = None
    fresh_login: FreshLogin = None
    second_factor: Annotated[SecondFactor, WrapValidator(_second_factor)] = None


# --- an element of a block (or a profile field of settings.yaml) ----------------------------
# Each type names its keys and their value types (`ElementType.yaml_fields`) with the value
# types below; `element_model(definition)` is the model of one element of that type.


def checked_as(json_schema: dict, *validators) -> Any:
    """A value checked by `validators` (each raising the problem in the loader's words), described
    in the JSON Schema as `json_schema`."""
    return Annotated[Any, *validators, WithJsonSchema(json_schema)]


def _max_length(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PydanticCustomError(
            "site.E012",
            "must be a whole number of at least 1, found {found}",
            {"found": repr(value)},
        )
    return value


def _pattern(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "site.E012",
            "must be a regular expression (a string), found {found}",
            {"found": repr(value)},
        )
    try:
        re.compile(value)
    except re.error as exc:
        raise PydanticCustomError(
            "site.E012", "is not a regular expression: {error}", {"error": str(exc)}
        ) from None
    return value


def _choices(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(c, str) and c for c in value):
        raise PydanticCustomError(
            "site.E012", "must be a list of strings, found {found}", {"found": repr(value)}
        )
    if len(set(value)) != len(value):
        raise PydanticCustomError("site.E012", "lists a choice twice")
    return tuple(value)


def _app_id(value: Any) -> str:
    if not is_valid_id(value):
        raise PydanticCustomError(
            "site.E005",
            "must be an app id matching {rule}, found {found}",
            {"rule": ID_RULE, "found": repr(value)},
        )
    return value


Mode = Literal[MODES]
IndexType = Literal[INDEX_TYPES]
Required = checked(bool, _boolean())
MaxLength = checked_as({"type": "integer", "minimum": 1}, AfterValidator(_max_length))
Pattern = checked_as({"type": "string", "format": "regex"}, AfterValidator(_pattern))
Choices = checked_as(
    {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": 1,
        "uniqueItems": True,
    },
    AfterValidator(_choices),
)
AppId = checked_as({"type": "string", "pattern": ID_PATTERN}, AfterValidator(_app_id))
ActionSecondFactor = Annotated[SecondFactor, WrapValidator(_second_factor)]


def bound(definition: ElementType, upper: bool = False) -> Any:
    """`min` (or `max`, not below `min`) of an element of `definition`, as its type reads it."""

    def read(value: Any) -> Any:
        try:
            return definition.yaml_bound(value)
        except ValueError as exc:
            raise PydanticCustomError("site.E012", "{error}", {"error": str(exc)}) from None

    def not_below_min(value: Any, info) -> Any:
        low = info.data.get("min")
        if low is not None and not typed.said(info, "max", "site.E012"):
            low_bound, high_bound = definition.bound(low), definition.bound(value)
            if low_bound is not None and high_bound is not None and low_bound > high_bound:
                raise PydanticCustomError(
                    "site.E012",
                    "max {max} is below min {min}",
                    {"max": value, "min": low, "alone": True, "across": True, "instead": value},
                )
        return value

    checks = (
        (AfterValidator(read), AfterValidator(not_below_min)) if upper else (AfterValidator(read),)
    )
    return checked_as(definition.bound_schema, *checks)


def needed(annotation: Any, type_name: str, key: str) -> tuple[Any, Any]:
    """A key that an element of `type_name` must give (a CHOICE's `choices`)."""

    def check(value: Any, handler, info) -> Any:
        if value is not None:
            return handler(value)
        if typed.said(info, key, "site.E007"):
            return ()
        raise PydanticCustomError(
            "site.E007",
            "a {type} needs {key}: [..]",
            {"type": type_name, "key": key, "at": (key,), "or_at": ("type",)},
        )

    return Annotated[annotation, WrapValidator(check)], Field(None, validate_default=True)


def text_schema() -> dict:
    """The JSON Schema of a text: a string, or one per language."""
    return TypeAdapter(Text).json_schema()


class ElementKeys(Strict):
    """One element: its type's name alone (`message: BASIC`), or a mapping of `type`, `label`
    and the keys its type takes. A key of another type is named as such (site.E013)."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"type": data} if isinstance(data, str) else data

    @classmethod
    def unknown_key_problem(cls, key: str, parent: str) -> tuple[str, str]:
        if key in element_keys():
            return "site.E013", f"{parent}: {key} applies only to {types_with(key)} elements"
        allowed = ", ".join(element_keys())
        return "site.E002", f"unknown key '{key}' in {parent}; allowed: {allowed}"


ELEMENT_OWN_KEYS = ("type", "label", "mode", "index_type", *RULES, "app")


@functools.cache
def element_model(definition: ElementType) -> type[ElementKeys]:
    """The model of an element of type `definition` (once per type)."""
    return create_model(
        f"{definition.name.title()}Element",
        __base__=ElementKeys,
        type=(Literal[definition.name], ...),
        label=(AnyText, None),
        **definition.yaml_fields(),
    )


def any_element_model() -> type[ElementKeys]:
    """An element of no known type: any element key is taken, the others are unknown."""
    return _any_element_model(element_keys())


@functools.cache
def _any_element_model(keys: tuple[str, ...]) -> type[ElementKeys]:
    return create_model("AnyElement", __base__=ElementKeys, **dict.fromkeys(keys, (Any, None)))


def element_keys() -> tuple[str, ...]:
    """Every key an element may have (each type takes some of them: `yaml_fields`)."""
    return _element_keys(tuple(TYPES))


@functools.cache
def _element_keys(type_names: tuple[str, ...]) -> tuple[str, ...]:
    found = dict.fromkeys(("type", "label", "mode", "index_type", *RULES))
    for name in type_names:
        found.update(dict.fromkeys(element_model(TYPES[name]).model_fields))
    return tuple(found)


def yaml_keys_of(definition: ElementType) -> tuple[str, ...]:
    """The keys an element of `definition` takes besides `type` and `label`."""
    return tuple(element_model(definition).model_fields)[2:]


def types_with(key: str) -> str:
    """The types that take `key`, as a message lists them."""
    if key in ("required", "mode", "index_type"):
        return ", ".join(input_type_names())
    return ", ".join(name for name, definition in TYPES.items() if key in yaml_keys_of(definition))


def element_schema() -> dict:
    """One element: its type's name alone, or a mapping of the keys its type takes."""
    mappings = []
    for definition in TYPES.values():
        schema = _inlined(element_model(definition).model_json_schema())
        schema.pop("title", None)
        schema["properties"]["label"] = text_schema()
        schema["required"] = ["type", *definition.yaml_required]
        mappings.append(schema)
    return {"anyOf": [{"enum": list(TYPES)}, *mappings]}


def _inlined(schema: dict) -> dict:
    """`schema` with each `$ref` to its `$defs` replaced by the definition (an element's schema
    sits inside a block's, whose `$defs` are its own)."""
    defs = schema.pop("$defs", {})

    def inline(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return inline(schema)


# --- the schemas ----------------------------------------------------------------------------

MODELS: dict[str, type[Strict]] = {
    "site-settings": SiteSettingsFile,
    "page": PageFile,
    "app-settings": AppSettingsFile,
    "block": BlockFile,
}
# Where each kind of file lives in the site folder (for editors' `yaml.schemas`).
GLOBS = {
    "site-settings": "settings.yaml",
    "page": "pages/*.yaml",
    "app-settings": "apps/*/settings.yaml",
    "block": "apps/*/blocks/*.yaml",
}


def site_schema(kind: str) -> dict:
    """The JSON Schema (draft 2020-12) of one kind of site file."""
    model = MODELS[kind]
    schema = model.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": f"{GLOBS[kind]} of a site folder",
    }
