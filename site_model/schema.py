"""What a site file may say, declared once: one model per kind of file, and its JSON Schema.

The models (pydantic) name every key of `settings.yaml`, `pages/*.yaml`, `apps/*/settings.yaml`
and `apps/*/blocks/*.yaml` with the kind of its value. The loader takes the keys it allows from
them (`keys_of`), and `site_schema(kind)` turns them into the JSON Schema that an editor (VS Code
with the YAML extension, any yaml-language-server) uses for completion and errors as the site
builder types, served at /api/v1/site-schema/<kind>.json and written by
`manage.py site_schema`. An element's keys come from its type's definition (`yaml_keys` in
site_model.elements), so a new type is in the schema without a change here.

The loader still says what is wrong in its own words and at its line (site_model.loader); what
a schema cannot know (a block that does not exist, a function missing from the .py, min above
max) only the loader says. site_model/tests/test_site_schema.py keeps the two in step.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    WithJsonSchema,
    WrapValidator,
    create_model,
)
from pydantic_core import PydanticCustomError

from .elements import RULES, TYPES, ElementType, second_factor_minutes
from .spec import (
    EMAIL_VERIFICATION,
    ID_RULE,
    LDAP_GROUP_TYPES,
    LOGIN_METHODS,
    PROFILE_STAMP,
    PROVIDERS,
    RIGHTS,
    SAML_FIELDS,
    SECOND_FACTOR_MAX_MINUTES,
    STAMPS,
    is_valid_id,
    parse_principals,
)
from .texts import LANGUAGES, TEXT_SCHEMA
from .typed import kind_of_value

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
    parsed = parse_principals(value)
    if parsed is None:
        raise PydanticCustomError(
            "site.E003", "must be a list of ids, found {found}", {"found": kind_of_value(value)}
        )
    bad = [item for item in parsed if not is_valid_id(item)]
    if bad:
        raise PydanticCustomError(
            "site.E005",
            ": id '{bad}' must match {rule}",
            {
                "bad": "', '".join(bad),
                "rule": ID_RULE,
                "instead": [i for i in parsed if i not in bad],
            },
        )
    return parsed


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
    trusted_methods: list[Literal[LOGIN_METHODS]] = None


class LdapUserSearch(Strict):
    base: str
    filter: Annotated[str, Field(pattern=r"^\(.*%\(user\)s.*\)$")]


class LdapGroupSearch(Strict):
    base: str
    filter: Annotated[str, Field(pattern=r"^\(.*\)$")] = None
    type: Literal[LDAP_GROUP_TYPES] = "group_of_names"


class Ldap(Strict):
    server: Annotated[str, Field(pattern=r"^\s*ldaps?://")]
    start_tls: bool = False
    user_search: LdapUserSearch
    username_attribute: Text = None
    attributes: dict[Literal["first_name", "last_name", "email"], Text] = None
    group_search: LdapGroupSearch = None
    groups: dict[str, Ids] = None
    require_group: Text = None
    deny_group: Text = None


class Certificates(Strict):
    email: bool = False
    subject_pattern: Annotated[str, Field(pattern=r"\(\?P<username>")] = None


class SamlIdp(Strict):
    metadata_url: Annotated[str, Field(pattern=r"^https://|^http://(127\.0\.0\.1|localhost)")] = (
        None
    )
    metadata_file: str = None
    entity_id: str = None
    sso_url: Annotated[str, Field(pattern=r"^https://|^http://(127\.0\.0\.1|localhost)")] = None
    x509cert: str = None
    x509cert_file: str = None


class SamlSp(Strict):
    entity_id: str = None


class Saml(Strict):
    slug: Id = None
    name: Text = None
    idp: SamlIdp
    sp: SamlSp = None
    attributes: dict[Literal[SAML_FIELDS], Principals] = None
    groups: dict[str, Ids] = None
    idp_initiated: bool = False
    signup: bool = True
    link_domains: Principals = None


class Auth(Strict):
    signup: bool = True
    email_verification: Literal[EMAIL_VERIFICATION] = "optional"
    providers: list[Literal[PROVIDERS]] = None
    link_domains: dict[Literal[PROVIDERS], Principals] = None
    otp: Otp | None = None
    user_managers: Principals = None
    ldap: Ldap = None
    certificates: Certificates = None
    saml: Saml = None


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

    title: Text = None
    languages: Annotated[
        list[LanguageCode],
        Field(description="the languages visitors may choose; the first is the default"),
    ] = None
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

    # The elements are read by the loader (site_model.loader.parse_elements), each by its type.
    elements: Annotated[dict[str, Any] | None, Field(json_schema_extra=_elements_schema)] = None
    target: Literal["ajax"] = None
    title: AnyText = None
    # Which input elements there are is the loader's question (the elements are read there).
    title_element: Annotated[Any, WithJsonSchema(TypeAdapter(Id).json_schema())] = None
    view_permission: Principals = None
    fresh_login: FreshLogin = None
    second_factor: Annotated[SecondFactor, WrapValidator(_second_factor)] = None


ELEMENT_RULES_START = 4  # element_keys()[4:] are the keys of the element's rules


def element_keys() -> tuple[str, ...]:
    """Every key an element may have (each type takes some of them: `yaml_keys`)."""
    return _element_keys(tuple(TYPES))


@functools.cache
def _element_keys(type_names: tuple[str, ...]) -> tuple[str, ...]:
    found = dict.fromkeys(("type", "label", "mode", "index_type", *RULES))
    for name in type_names:
        found.update(dict.fromkeys(TYPES[name].yaml_keys()))
    return tuple(found)


@functools.cache
def yaml_keys_of(definition: ElementType) -> frozenset[str]:
    """The keys of `definition.yaml_keys()`, once per type (the loader asks per element)."""
    return frozenset(definition.yaml_keys())


def element_schema() -> dict:
    """One element: its type's name alone, or a mapping of the keys its type takes."""
    mappings = []
    for name, definition in TYPES.items():
        properties = {
            "type": {"const": name},
            "label": TEXT_SCHEMA,
        }
        properties.update(definition.yaml_keys())
        mappings.append(
            {
                "type": "object",
                "properties": properties,
                "required": ["type", *definition.yaml_required],
                "additionalProperties": False,
            }
        )
    return {"anyOf": [{"enum": list(TYPES)}, *mappings]}


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


@functools.cache
def keys_of(model: type[Strict]) -> tuple[str, ...]:
    """The keys a mapping may have, in the order the model declares them."""
    return tuple(model.model_fields)


def site_schema(kind: str) -> dict:
    """The JSON Schema (draft 2020-12) of one kind of site file."""
    model = MODELS[kind]
    schema = model.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
        "title": f"{GLOBS[kind]} of a site folder",
    }
