"""The site folder as frozen values: what the loader builds and every other module reads.

Nothing here touches the disk, the database or a request. A definition is built once per file
version and shared by every request (like Wagtail's block definitions), so it holds no
request state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from django import forms
from django.utils.functional import cached_property

from .acl import FieldRule
from .elements import ElementType, element_type

ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
ID_RULE = "[A-Za-z][A-Za-z0-9_-]*"

MODES = ("EDITABLE", "COMPUTED_ON_SAVE", "COMPUTED_ON_CREATION")
INDEX_TYPES = ("field", "text")
RIGHTS = ("reader", "author", "editor", "manager")
EMAIL_VERIFICATION = ("mandatory", "optional", "none")
PROVIDERS = ("google", "facebook", "microsoft")
# How directory groups are found (`auth.ldap.group_search.type`), as django-auth-ldap's group
# types: `active_directory_in_chain` asks Active Directory for nested groups in one search
# (LDAP_MATCHING_RULE_IN_CHAIN).
LDAP_GROUP_TYPES = (
    "group_of_names",
    "nested_group_of_names",
    "group_of_unique_names",
    "posix",
    "active_directory",
    "nested_active_directory",
    "active_directory_in_chain",
)
# Ways of signing in that `auth.otp.trusted_methods` may name.
LOGIN_METHODS = ("ldap", "certificate", "saml")
# What an app's `on_create` may stamp an item with (besides `profile.<field>`).
STAMPS = ("user.username", "user.email")
PROFILE_STAMP = "profile."
# Element types a profile field may have: a value a person types or picks (no file, no
# reference to a record, no computed or display-only element).
PROFILE_TYPES = (
    "TEXT",
    "TEXTAREA",
    "NUMBER",
    "BOOLEAN",
    "CHOICE",
    "EMAIL",
    "URL",
    "DATE",
    "DATETIME",
)
# What `auth.saml.attributes` may map: allauth's SAML fields, and the groups (accounts/saml.py).
# `second_factor: {within: <minutes>}`: from one minute to one day.
SECOND_FACTOR_MAX_MINUTES = 1440
SAML_FIELDS = ("uid", "username", "email", "email_verified", "first_name", "last_name", "groups")


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


def parse_principals(value: Any) -> tuple[str, ...] | None:
    """A list of principals, or one string of names separated by spaces or commas.

    >>> parse_principals("admins, eric")
    ('admins', 'eric')
    Returns None when the value is neither (the caller reports it).
    """
    if isinstance(value, str):
        return tuple(name for name in re.split(r"[\s,]+", value) if name)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value if item.strip())
    return None


@dataclass(frozen=True)
class Problem:
    """One mistake in the site folder, printed as `path:line: message`."""

    path: str
    line: int
    message: str
    check: str = ""  # its id in site_model.check_ids (or accounts.checks)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"

    def with_id(self) -> str:
        """As `check_site` prints it: `path:line: (site.E002) message`."""
        return f"{self.path}:{self.line}: ({self.check}) {self.message}"


@dataclass(frozen=True)
class Element:
    """One element of a block; `definition` is its type's (site_model.elements), resolved once."""

    id: str
    type: str
    label: str
    mode: str = "EDITABLE"
    index_type: str | None = None
    line: int = 1
    # Validation keys (contract §2), checked by the loader against the type's `rules`.
    required: bool = False
    min: int | float | str | None = None
    max: int | float | str | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    app: str | None = None  # REFERENCE: the app of the records it names (None: this one)
    options: dict = field(default_factory=dict, compare=False, hash=False)  # a CHART's keys
    definition: ElementType = field(init=False, repr=False, compare=False)

    @property
    def second_factor(self) -> int | None:
        """An ACTION's `second_factor: {within: <minutes>}`, as minutes; None when not set."""
        return self.options.get("second_factor")

    def __post_init__(self):
        object.__setattr__(self, "definition", element_type(self.type))

    @property
    def is_input(self) -> bool:
        return self.definition.is_input

    @property
    def is_action(self) -> bool:
        return self.definition.is_action

    @property
    def is_computed(self) -> bool:
        return self.mode != "EDITABLE"

    @property
    def needs_function(self) -> bool:
        wants = getattr(self.definition, "wants_function", None)
        if wants is not None:
            return wants(self)
        return self.definition.needs_function or self.is_computed

    def display(self, value) -> str:
        """The value in read mode, as text."""
        return self.definition.display(value)

    def json_schema(self) -> dict:
        """The JSON Schema of one present value (elements.ElementType.json_schema)."""
        return self.definition.json_schema(self)

    def check(self, value) -> str | None:
        """What is wrong with `value` as this element's item, naming the rule, or None."""
        return self.definition.check(self, value)


@dataclass(frozen=True, eq=False)
class BlockSpec:
    app_id: str
    id: str
    yaml_path: str
    title: str = ""
    target: str | None = None
    view_permission: tuple[str, ...] = ("*",)
    view_permission_line: int = 1  # where the block's .yaml sets it (1: not set)
    # Contract §11: a sign-in in this browser session, a second factor within N minutes.
    fresh_login: bool = False
    second_factor: int | None = None
    elements: tuple[Element, ...] = ()
    title_element: str | None = None  # the input whose value heads a record's page
    layout: Any = None  # a compiled django.template.Template, or None for the default layout
    code: ModuleType | None = None
    py_path: str | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.app_id}/{self.id}"

    @property
    def is_broken(self) -> bool:
        return bool(self.problems)

    @property
    def is_ajax(self) -> bool:
        return self.target == "ajax"

    @property
    def inputs(self) -> tuple[Element, ...]:
        return tuple(element for element in self.elements if element.is_input)

    @property
    def actions(self) -> tuple[Element, ...]:
        return tuple(element for element in self.elements if element.is_action)

    @cached_property
    def form_class(self) -> type[forms.Form]:
        """The block's form: a field per editable input, from its type's definition (computed
        elements are not fields). Built on first use, once per file version of the block."""
        fields = {e.id: e.definition.form_field(e) for e in self.inputs if not e.is_computed}
        return type(f"BlockForm_{self.app_id}_{self.id}", (forms.Form,), fields)

    @property
    def heading_element(self) -> Element | None:
        """The input naming a record on its page: `title_element`, else the first TEXT."""
        if self.title_element is not None:
            return self.element(self.title_element)
        return next((e for e in self.inputs if e.definition.names_record), None)

    @property
    def has_files(self) -> bool:
        return any(e.definition.is_upload and not e.is_computed for e in self.inputs)

    def element(self, element_id: str) -> Element | None:
        return next((e for e in self.elements if e.id == element_id), None)

    def function(self, name: str):
        """The block code's function `name`, or None."""
        candidate = getattr(self.code, name, None) if self.code is not None else None
        return candidate if callable(candidate) else None


@dataclass(frozen=True)
class AclSpec:
    rights: dict[str, tuple[str, ...]] = field(default_factory=dict)
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    row_owners: tuple[str, ...] = ()
    # `acl.fields`: item -> who may read and write it (contract §10); an item not named here
    # follows the record's rights.
    fields: dict[str, FieldRule] = field(default_factory=dict)
    # The line of each key of the app's settings.yaml under `acl` ("acl", "rights.author",
    # "roles.lead", "row_owners", ...), for warnings about the set-up (records/access_report.py).
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    def line(self, key: str) -> int:
        """The line of `key` (see `lines`), else of `acl:`, else 1."""
        found = dict(self.lines)
        return found.get(key) or found.get("acl") or 1


@dataclass(frozen=True, eq=False)
class AppSpec:
    id: str
    title: str
    debug: bool = False
    acl: AclSpec | None = None  # None: no ACL, only managers reach records
    # `on_create`: item -> what the server writes into it from the creator (STAMPS or
    # `profile.<field>`), and the line of each in the app's settings.yaml.
    on_create: dict[str, str] = field(default_factory=dict)
    on_create_lines: dict[str, int] = field(default_factory=dict)
    blocks: dict[str, BlockSpec] = field(default_factory=dict)
    settings_problems: tuple[Problem, ...] = ()

    @property
    def indexes(self) -> dict[str, str]:
        """Index id -> index type, from the elements of every block (`id` is always one)."""
        found = {"id": "field"}
        for block in self.blocks.values():
            for element in block.elements:
                if element.index_type:
                    found.setdefault(element.id, element.index_type)
        return found


@dataclass(frozen=True)
class BlockRef:
    app_id: str
    block_id: str
    line: int

    @property
    def key(self) -> str:
        return f"{self.app_id}/{self.block_id}"


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    title: str
    yaml_path: str
    view_permission: tuple[str, ...] = ("*",)
    blocks: tuple[BlockRef, ...] = ()
    view_permission_line: int = 1  # where the page's .yaml sets it (1: not set)
    fresh_login: bool = False  # contract §11: a sign-in in this browser session
    second_factor: None = None  # pages take no step-up of their own (blocks and actions do)


@dataclass(frozen=True)
class LdapSettings:
    """`auth.ldap`: sign-in against an LDAP directory or Active Directory (accounts/ldap.py).

    The bind DN and password are not here: they come from the environment.
    """

    server: str
    user_search_base: str
    user_filter: str
    start_tls: bool = False
    username_attribute: str = ""  # the Django user name; "" keeps the name typed at login
    attributes: tuple[tuple[str, str], ...] = ()  # (user field, directory attribute)
    group_search_base: str = ""
    group_filter: str = "(objectClass=*)"
    group_type: str = "group_of_names"
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (directory group DN, Django groups)
    require_group: str = ""
    deny_group: str = ""


@dataclass(frozen=True)
class CertificateSettings:
    """`auth.certificates`: a client certificate verified by the TLS proxy names a user."""

    email: bool = False  # the subject's emailAddress names the user whose address it is
    subject_pattern: str = ""  # a regex the whole subject DN matches, group `username`


@dataclass(frozen=True)
class SamlSettings:
    """`auth.saml`: one SAML 2.0 identity provider (IdP) this site is a service provider for.

    The IdP comes from metadata (`idp_metadata_url`, or `idp_metadata_file` in the site folder),
    or is given by `idp_entity_id` + `idp_sso_url` + a certificate (`idp_x509cert` inline or
    `idp_x509cert_file`). `attributes` maps a field (SAML_FIELDS) to the assertion's attribute
    names, tried in order; `groups` maps a value of the groups attribute to Django groups.
    `lines` holds the line of each key, for the checks that need the environment or the disk.
    """

    slug: str = "sso"
    name: str = "SSO"
    idp_metadata_url: str = ""
    idp_metadata_file: str = ""
    idp_entity_id: str = ""
    idp_sso_url: str = ""
    idp_x509cert: str = ""
    idp_x509cert_file: str = ""
    sp_entity_id: str = ""
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    idp_initiated: bool = False
    signup: bool = True
    # E-mail domains whose addresses this IdP may sign into an existing local account by
    # (accounts/adapter.py); none: it never links by e-mail.
    link_domains: tuple[str, ...] = ()
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def managed_groups(self) -> frozenset[str]:
        """The Django groups a SAML login sets: exactly those the `groups` map can give."""
        return frozenset(name for names in self.groups.values() for name in names)


@dataclass(frozen=True)
class SiteSettings:
    title: str = "Site"
    signup: bool = True
    email_verification: str = "optional"
    providers: tuple[str, ...] = ()
    # `auth.link_domains`: provider -> e-mail domains it may sign into an existing account by.
    link_domains: dict[str, tuple[str, ...]] = field(default_factory=dict)
    otp_required_for: tuple[str, ...] = ()
    otp_trusted_methods: tuple[str, ...] = ()
    ldap: LdapSettings | None = None
    certificates: CertificateSettings | None = None
    saml: SamlSettings | None = None
    user_managers: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    # `users.fields`: the profile fields (name -> an input element), in the order written;
    # `users.self_edit`: those a user may change on their account page.
    profile_fields: dict[str, Element] = field(default_factory=dict)
    self_edit: tuple[str, ...] = ()
    # contract §13: the languages visitors may choose; the first is the default.
    languages: tuple[str, ...] = ("en",)


@dataclass(frozen=True, eq=False)
class Site:
    settings: SiteSettings
    pages: dict[str, Page]
    apps: dict[str, AppSpec]
    problems: tuple[Problem, ...] = ()
    # What is served as written but is likely not what the builder meant (site.W ids).
    warnings: tuple[Problem, ...] = ()
    # A page file that could not be read: its URL path (from the file name, as a page without
    # `path:` gets) -> its problems, so that the path answers an error page, not a 404.
    broken_pages: dict[str, tuple[Problem, ...]] = field(default_factory=dict)
    pages_by_path: dict[str, Page] = field(init=False)

    def __post_init__(self):
        by_path: dict[str, Page] = {}
        for page in self.pages.values():
            by_path.setdefault(page.path, page)
        object.__setattr__(self, "pages_by_path", by_path)

    def page_at(self, path: str) -> Page | None:
        return self.pages_by_path.get(path)

    def broken_page_at(self, path: str) -> tuple[Problem, ...]:
        """The problems of the unreadable page file that would answer `path`, or ()."""
        return () if path in self.pages_by_path else self.broken_pages.get(path, ())

    def problems_at(self, path: str, line: int) -> tuple[Problem, ...]:
        """The problems reported at `path:line` (a page's line naming a block, say)."""
        return tuple(p for p in self.problems if p.path == path and p.line == line)

    def block(self, app_id: str, block_id: str) -> BlockSpec | None:
        app = self.apps.get(app_id)
        return app.blocks.get(block_id) if app else None

    @property
    def navigation(self) -> list[Page]:
        return sorted(self.pages.values(), key=lambda page: (page.path != "/", page.path))
