"""The site folder -> a `Site`, parsed once and rebuilt only when a file changes.

`current_site()` stats the site's files on each call (cheap) and compares their
(mtime, size) stamps with the last build. Each file is parsed and validated once per
version and cached by its stamp, so an edit re-reads that file alone, and a warm request
reads nothing. Every mistake becomes a `Problem` naming file and line; a broken file breaks
only what depends on it.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.signals import setting_changed

from . import acl, code, layout, schema, typed
from . import check_ids as ids
from .elements import RULES, TYPES
from .schema import ELEMENT_OWN_KEYS, RESERVED_ELEMENT_IDS
from .spec import (
    ID_RULE,
    PROFILE_STAMP,
    PROFILE_TYPES,
    AclSpec,
    AppSpec,
    BlockRef,
    BlockSpec,
    CertificateSettings,
    Element,
    LdapSettings,
    Page,
    Problem,
    SamlSettings,
    Site,
    SiteSettings,
    is_valid_id,
)
from .texts import Texts
from .yamlcheck import YamlFile, line_of

Stamp = tuple[int, int]

logger = logging.getLogger(__name__)


@dataclass
class _Cache:
    built: tuple[tuple, Site] | None = None  # (signature, site), swapped in as one value
    files: dict[Path, tuple[Stamp, Any]] = field(default_factory=dict)


_cache = _Cache()
_lock = threading.Lock()


def site_dir() -> Path:
    return Path(settings.SITE_DIR)


def current_site() -> Site:
    """The site as the files are now; rebuilt only when a file's stamp changed.

    Inside `one_site_per_request()` the folder is scanned once and every caller of that
    request sees the same Site.
    """
    memo = _request_memo.get()
    if memo is not None and memo.site is not None:
        return memo.site
    root = site_dir()
    files = scan(str(root))
    stamps = {rel: stamp for rel, (_, stamp) in files.items()}
    signature = (str(root), stamps)
    built = _cache.built
    if built is None or built[0] != signature:
        with _lock:
            built = _cache.built
            if built is None or built[0] != signature:
                previous = _cache.built
                built = (signature, build_site(root, files))
                _cache.built = built
                report_problems(previous[1] if previous else None, built[1])
    site = built[1]
    if memo is not None:
        memo.site = site
    return site


@dataclass
class _Memo:
    site: Site | None = None


_request_memo: contextvars.ContextVar[_Memo | None] = contextvars.ContextVar(
    "site_memo", default=None
)


@contextlib.contextmanager
def one_site_per_request():
    """One scan of the site folder per request, however many callers ask for the site."""
    token = _request_memo.set(_Memo())
    try:
        yield
    finally:
        _request_memo.reset(token)


def report_problems(previous: Site | None, site: Site) -> None:
    """Print every problem to the server's log when the site is (re)built: the terminal of
    `make run` shows what `check_site` would, once per change of the folder, not per request."""
    if site.problems:
        logger.warning(
            "the site folder has %d problem(s):\n%s",
            len(site.problems),
            "\n".join(f"  {problem}" for problem in site.problems),
        )
    elif previous is not None and previous.problems:
        logger.info("the site folder has no problems left")


def reset_cache(**kwargs) -> None:
    _cache.built = None
    _cache.files.clear()
    _listings.clear()


setting_changed.connect(reset_cache)


def scan(root: str) -> dict[str, tuple[str, Stamp]]:
    """rel path -> (path, stamp) for every file that makes up the site (os calls only: this
    runs on every request): one `stat` per file and per folder; a folder is listed again only
    when its own stamp says its entries may have changed (`_entries`)."""
    found: dict[str, tuple[str, Stamp]] = {}
    _add_file(found, root, "settings.yaml")
    files, _ = _entries(os.path.join(root, "pages"))
    for name in files:
        if name.endswith(".yaml"):
            _add_file(found, root, "pages/" + name)
    _, apps = _entries(os.path.join(root, "apps"))
    for app in apps:
        if app.startswith((".", "_")):
            continue
        prefix = "apps/" + app + "/"
        _add_file(found, root, prefix + "settings.yaml")
        files, _ = _entries(os.path.join(root, "apps", app, "blocks"))
        for name in files:
            if name.endswith((".yaml", ".html", ".py")):
                _add_file(found, root, prefix + "blocks/" + name)
    return found


# A folder's listing: (its mtime when listed, the names of its files, of its folders).
_listings: dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = {}

# How far a folder's mtime must lie behind the moment it was listed for the listing to be
# trusted: file systems stamp times in ticks (a jiffy, up to a second or two on some), so an
# entry added within the tick of the listing may leave the mtime as it was. Git's index
# trusts a file's stamp by the same rule ("racily clean").
RACY_NS = 2_000_000_000


def _entries(folder: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The names of the files and of the folders in `folder` (none if it is missing), listed
    again only when its mtime changed or was too recent to trust when it was listed: adding,
    removing or renaming an entry changes a folder's mtime, and a `stat` costs a fraction of
    a listing (bench/api.py's site, 9 files: 71 -> 50 us a request; the demo's 42 files: 175 ->
    165 us, most of it one `stat` per file, which an edit in place needs)."""
    try:
        mtime = os.stat(folder).st_mtime_ns
    except (FileNotFoundError, NotADirectoryError):
        _listings.pop(folder, None)
        return (), ()
    known = _listings.get(folder)
    if known is not None and known[0] == mtime:
        return known[1], known[2]
    listed_at = time.time_ns()
    files, folders = [], []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_file():
                    files.append(entry.name)
                elif entry.is_dir():
                    folders.append(entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return (), ()
    names = tuple(sorted(files)), tuple(sorted(folders))
    if listed_at - mtime > RACY_NS:
        _listings[folder] = (mtime, *names)
    else:
        _listings.pop(folder, None)
    return names


def _add_file(found, root: str, rel: str) -> None:
    path = os.path.join(root, rel)
    try:
        stat = os.stat(path)
    except OSError:
        return
    found[rel] = (path, (stat.st_mtime_ns, stat.st_size))


def _cached(path: Path, stamp: Stamp, build):
    hit = _cache.files.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    value = build()
    _cache.files[path] = (stamp, value)
    return value


def _read_yaml(path: Path, rel: str) -> YamlFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        checked = YamlFile(rel, "")
        checked.problems.append(Problem(rel, 1, f"cannot read file: {exc}", ids.BAD_YAML))
        return checked
    return YamlFile(rel, text)


# --- building the site ---------------------------------------------------------------------


def build_site(root: Path, files: dict[str, tuple[Path, Stamp]]) -> Site:
    problems: list[Problem] = []

    def load(rel: str, parse):
        path, stamp = Path(files[rel][0]), files[rel][1]
        value, file_problems = _cached(path, stamp, lambda: parse(path, rel))
        problems.extend(file_problems)
        return value

    site_settings = (
        load("settings.yaml", parse_site_settings) if "settings.yaml" in files else SiteSettings()
    )
    apps = {}
    for app_id in sorted({rel.split("/")[1] for rel in files if rel.startswith("apps/")}):
        apps[app_id] = build_app(app_id, files, load, problems)
    apps = {app_id: app for app_id, app in apps.items() if app is not None}
    pages = {}
    broken_pages: dict[str, tuple[Problem, ...]] = {}
    for rel in sorted(rel for rel in files if rel.startswith("pages/")):
        start = len(problems)
        page = load(rel, parse_page)
        if page is not None:
            pages[page.name] = page
        else:
            where = broken_page_path(Path(files[rel][0]), rel)
            broken_pages.setdefault(where, tuple(problems[start:]))
    problems.extend(page_problems(pages, apps))
    problems.extend(element_problems(apps))
    problems.extend(field_rule_problems(apps))
    problems.extend(on_create_problems(site_settings, apps))
    problems.sort(key=lambda problem: (problem.path, problem.line))
    return Site(
        warnings=(
            *sight_warnings(apps),
            *translation_warnings(site_settings, pages, apps),
        ),
        settings=site_settings,
        pages=pages,
        apps=apps,
        problems=tuple(problems),
        broken_pages=broken_pages,
    )


PATH_LINE = re.compile(r"""^path:\s*['"]?(/[^'"\s#]*)""", re.MULTILINE)


def broken_page_path(path: Path, rel: str) -> str:
    """Where a page file that cannot be parsed would be served: its `path:` line when one can
    still be read from the text, else the default for its file name."""
    try:
        match = PATH_LINE.search(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        match = None
    if match is None:
        return default_page_path(rel)
    found = match.group(1)
    return found if found.endswith("/") else found + "/"


def default_page_path(rel: str) -> str:
    """pages/index.yaml -> /, pages/<name>.yaml -> /<name>/ (a page without `path:`)."""
    name = rel[len("pages/") : -len(".yaml")]
    return "/" if name == "index" else f"/{name}/"


def build_app(app_id: str, files, load, problems: list[Problem]) -> AppSpec | None:
    prefix = f"apps/{app_id}/"
    if not is_valid_id(app_id):
        first = min(rel for rel in files if rel.startswith(prefix))
        problems.append(
            Problem(
                first,
                1,
                f"app id '{app_id}' (folder apps/{app_id}) must match {ID_RULE}",
                ids.BAD_ID,
            )
        )
        return None
    settings_rel = f"{prefix}settings.yaml"
    app_settings = load(settings_rel, parse_app_settings) if settings_rel in files else {}
    block_ids = sorted(
        {
            rel[len(prefix) + 7 :].rsplit(".", 1)[0]
            for rel in files
            if rel.startswith(prefix + "blocks/")
        }
    )
    blocks = {}
    for block_id in block_ids:
        block = build_block(app_id, block_id, files, load, problems)
        if block is not None:
            blocks[block_id] = block
    return AppSpec(
        id=app_id,
        title=app_settings.get("title") or app_id,
        debug=app_settings.get("debug", False),
        acl=app_settings.get("acl"),
        on_create=app_settings.get("on_create", {}),
        on_create_lines=app_settings.get("on_create_lines", {}),
        blocks=blocks,
        settings_problems=tuple(app_settings.get("problems", ())),
    )


def build_block(
    app_id: str, block_id: str, files, load, problems: list[Problem]
) -> BlockSpec | None:
    base = f"apps/{app_id}/blocks/{block_id}"
    yaml_rel, html_rel, py_rel = f"{base}.yaml", f"{base}.html", f"{base}.py"
    if not is_valid_id(block_id):
        rel = next(r for r in (yaml_rel, html_rel, py_rel) if r in files)
        problems.append(
            Problem(rel, 1, f"block id '{block_id}' (file name) must match {ID_RULE}", ids.BAD_ID)
        )
        return None
    if yaml_rel not in files:
        for rel in (html_rel, py_rel):
            if rel in files:
                problems.append(
                    Problem(
                        rel,
                        1,
                        f"no block '{block_id}': {yaml_rel} is missing",
                        ids.MISSING_BLOCK_YAML,
                    )
                )
        return None
    start = len(problems)
    definition = load(yaml_rel, parse_block)
    template = load(html_rel, _compile_layout) if html_rel in files else None
    module = (
        load(py_rel, lambda path, rel: _load_code(path, rel, app_id, block_id))
        if py_rel in files
        else None
    )
    if definition is None:
        # Its view_permission is unknown: deny by default (superusers still see the error box).
        return BlockSpec(
            app_id, block_id, yaml_rel, view_permission=(), problems=tuple(problems[start:])
        )
    block = BlockSpec(
        app_id=app_id,
        id=block_id,
        yaml_path=yaml_rel,
        title=definition["title"],
        title_element=definition["title_element"],
        target=definition["target"],
        view_permission=definition["view_permission"],
        view_permission_line=definition["view_permission_line"],
        fresh_login=definition["fresh_login"],
        second_factor=definition["second_factor"],
        elements=definition["elements"],
        layout=template,
        code=module,
        py_path=py_rel if py_rel in files else None,
    )
    problems.extend(missing_functions(block, files, py_rel))
    return dataclasses.replace(block, problems=tuple(problems[start:]))


def missing_functions(block: BlockSpec, files, py_rel: str) -> list[Problem]:
    if py_rel in files and block.code is None:
        return []  # the .py itself is broken; that problem is already reported
    found = []
    for element in block.elements:
        if element.needs_function and block.function(element.id) is None:
            where = py_rel if py_rel in files else f"{py_rel} (missing file)"
            found.append(
                Problem(
                    block.yaml_path,
                    element.line,
                    f"element '{element.id}' ({element.type}{', ' + element.mode if element.is_computed else ''}) "
                    f"needs a function '{element.id}(context)' in {where}",
                    ids.MISSING_FUNCTION,
                )
            )
    return found


def sight_warnings(apps: dict[str, AppSpec]) -> list[Problem]:
    """A block its app's readers may not all see: they read its records as JSON but get a 403
    on their HTML pages, which show the block (contract §5). Served as written; a warning."""
    found = []
    for app in apps.values():
        readers = [
            p for principals in (app.acl.rights if app.acl else {}).values() for p in principals
        ]
        for block in sorted(app.blocks.values(), key=lambda block: block.yaml_path):
            beyond = acl.readers_beyond(readers, block.view_permission)
            if beyond and not block.is_broken:
                found.append(
                    Problem(
                        block.yaml_path,
                        block.view_permission_line,
                        f"view_permission of block '{block.key}' "
                        f"({', '.join(block.view_permission) or 'nobody'}) is narrower than the "
                        f"readers of app '{app.id}': {', '.join(beyond)} may read its records "
                        "through the API but not open their pages",
                        ids.READERS_WIDER_THAN_BLOCK,
                    )
                )
    return found


def field_rule_problems(apps: dict[str, AppSpec]) -> list[Problem]:
    """`acl.fields` naming an item that no input element of the app declares."""
    found = []
    for app in apps.values():
        rules = app.acl.fields if app.acl else {}
        declared = sorted({e.id for block in app.blocks.values() for e in block.inputs})
        for item, rule in rules.items():
            if item not in declared:
                found.append(
                    Problem(
                        f"apps/{app.id}/settings.yaml",
                        rule.line,
                        f"acl.fields: no element of app '{app.id}' declares an item '{item}'; "
                        f"items: {', '.join(declared) or 'none'}",
                        ids.NOT_FOUND,
                    )
                )
    return found


def translation_warnings(settings: SiteSettings, pages, apps) -> list[Problem]:
    """A title or label by language without one of the site's languages (contract §13)."""
    texts = [settings.title, *(page.title for page in pages.values())]
    for app in apps.values():
        texts.append(app.title)
        for block in app.blocks.values():
            texts.append(block.title)
            texts.extend(element.label for element in block.elements)
            texts.extend(
                element.options[key]
                for element in block.elements
                for key in element.definition.text_options
                if key in element.options
            )
            texts.extend(
                text
                for element in block.elements
                for key in element.definition.text_map_options
                for text in element.options.get(key, {}).values()
            )
    warnings = []
    for text in texts:
        if not isinstance(text, Texts):
            continue
        missing = [code for code in settings.languages if code not in text.by_language]
        if missing:
            warnings.append(
                Problem(
                    text.path,
                    text.line,
                    f"'{str.__str__(text)}' has no text in {', '.join(missing)} "
                    f"(the site's languages: {', '.join(settings.languages)})",
                    ids.MISSING_TRANSLATION,
                )
            )
    return warnings


def chart_problems(app: AppSpec) -> list[Problem]:
    """What each element's type finds wrong with it against its app (a CHART's `group_by` and
    `value` naming items the aggregate cannot read), at the element's line."""
    found = []
    for block in app.blocks.values():
        for element in block.elements:
            for problem in element.definition.app_problems(app, element):
                found.append(
                    Problem(
                        block.yaml_path,
                        element.line,
                        f"element '{element.id}': {problem}",
                        ids.BAD_RULE,
                    )
                )
    return found


def element_problems(apps: dict[str, AppSpec]) -> list[Problem]:
    """Across blocks: an element id with two types in one app (items are checked against the
    app's elements), a REFERENCE naming an app that does not exist, a CHART naming no item."""
    found = []
    for app in apps.values():
        found.extend(chart_problems(app))
        first: dict[str, tuple[str, BlockSpec]] = {}
        for block in app.blocks.values():
            for element in block.inputs:
                seen = first.setdefault(element.id, (element.type, block))
                if seen[0] != element.type:
                    found.append(
                        Problem(
                            block.yaml_path,
                            element.line,
                            f"element '{element.id}' is {element.type} here but {seen[0]} in "
                            f"{seen[1].yaml_path}; one element id has one type in an app",
                            ids.TWO_TYPES,
                        )
                    )
                if element.app is not None and element.app not in apps:
                    found.append(
                        Problem(
                            block.yaml_path,
                            element.line,
                            f"element '{element.id}': app '{element.app}' does not exist; "
                            f"apps: {', '.join(sorted(apps))}",
                            ids.NOT_FOUND,
                        )
                    )
    return found


def page_problems(pages: dict[str, Page], apps: dict[str, AppSpec]) -> list[Problem]:
    found = []
    seen_paths: dict[str, str] = {}
    for page in pages.values():
        if page.path in seen_paths:
            found.append(
                Problem(
                    page.yaml_path,
                    1,
                    f"path '{page.path}' is already the path of {seen_paths[page.path]}",
                    ids.PATH_TAKEN,
                )
            )
        seen_paths.setdefault(page.path, page.yaml_path)
        for ref in page.blocks:
            app = apps.get(ref.app_id)
            if app is None:
                known = ", ".join(sorted(apps)) or "none"
                found.append(
                    Problem(
                        page.yaml_path,
                        ref.line,
                        f"block '{ref.key}' not found: no app '{ref.app_id}'; apps: {known}",
                        ids.NOT_FOUND,
                    )
                )
            elif ref.block_id not in app.blocks:
                known = ", ".join(sorted(app.blocks)) or "none"
                found.append(
                    Problem(
                        page.yaml_path,
                        ref.line,
                        f"block '{ref.key}' not found; blocks in app '{ref.app_id}': {known}",
                        ids.NOT_FOUND,
                    )
                )
    return found


# --- parsing one file each -------------------------------------------------------------------


def _compile_layout(path: Path, rel: str):
    return layout.compile_layout(path, rel)


def _load_code(path: Path, rel: str, app_id: str, block_id: str):
    return code.load_module(path, rel, f"site_blocks.{app_id}.{block_id}")


def parse_site_settings(path: Path, rel: str):
    doc = _read_yaml(path, rel)
    if not doc.is_parsed:
        return SiteSettings(), doc.problems
    model, lines = typed.validate(
        doc,
        schema.SiteSettingsFile,
        doc.root,
        "settings.yaml",
        read_by_loader=(("users", "fields"),),
    )
    model = model or schema.SiteSettingsFile()
    auth, nodes = model.auth or schema.Auth(), typed.top_nodes(doc.root)
    otp = auth.otp or schema.Otp()
    values: dict[str, Any] = {
        "signup": auth.signup,
        "email_verification": auth.email_verification,
        "providers": auth.providers or (),
        "link_domains": dict(auth.link_domains or {}),
        "user_managers": auth.user_managers or (),
        "otp_required_for": otp.required_for or (),
        "otp_trusted_methods": otp.trusted_methods or (),
        "groups": model.groups or (),
        "languages": model.languages or ("en",),
    }
    if "title" in nodes:
        values["title"] = doc.text(nodes["title"][1], "title")
    if auth.saml is not None and not any(loc[:2] == ("auth", "saml") for loc, _ in lines.said):
        values["saml"] = saml_settings(auth.saml, lines)
    if auth.ldap is not None and auth.ldap.works:
        values["ldap"] = ldap_settings(auth.ldap)
    certificates = auth.certificates
    if certificates is not None and (certificates.email or certificates.subject_pattern):
        values["certificates"] = CertificateSettings(
            email=certificates.email, subject_pattern=certificates.subject_pattern or ""
        )
    if model.users is not None:
        values.update(parse_users(doc, model.users, typed.top_nodes(nodes["users"][1]), lines))
    return SiteSettings(**values), doc.problems


def parse_users(doc: YamlFile, model: schema.Users, nodes, lines: typed.Lines) -> dict[str, Any]:
    """`users`: the profile fields (input elements of PROFILE_TYPES) and `self_edit`."""
    fields = {}
    if model.fields is not None:
        for element in parse_elements(doc, nodes["fields"][1], "users.fields"):
            if element.type not in PROFILE_TYPES:
                doc.problems.append(
                    Problem(
                        doc.rel_path,
                        element.line,
                        f"users.fields: field '{element.id}' is {element.type}; a profile field "
                        f"is one of {', '.join(PROFILE_TYPES)}",
                        ids.NOT_A_CHOICE,
                    )
                )
            elif element.is_computed:
                doc.problems.append(
                    Problem(
                        doc.rel_path,
                        element.line,
                        f"users.fields: field '{element.id}' has mode {element.mode}; "
                        "profile fields are EDITABLE",
                        ids.KEY_NOT_HERE,
                    )
                )
            else:
                fields[element.id] = element
    self_edit = model.self_edit or ()
    unknown = [name for name in self_edit if name not in fields]
    if unknown:
        doc.problems.append(
            Problem(
                doc.rel_path,
                lines.of_value(("users", "self_edit")),
                f"users.self_edit names no profile field: {', '.join(unknown)}; "
                f"fields: {', '.join(fields) or 'none'}",
                ids.NOT_FOUND,
            )
        )
    return {
        "profile_fields": fields,
        "self_edit": tuple(name for name in self_edit if name in fields),
    }


def ldap_settings(ldap: schema.Ldap) -> LdapSettings:
    """The LDAP settings of a validated `auth.ldap` that works."""
    search, groups = ldap.user_search, ldap.group_search
    values: dict[str, Any] = {
        "server": ldap.server,
        "start_tls": ldap.start_tls,
        "user_search_base": search.base,
        "user_filter": search.filter,
        "username_attribute": (ldap.username_attribute or "").strip(),
        "attributes": tuple((ldap.attributes or {}).items()),
        "require_group": (ldap.require_group or "").strip(),
        "deny_group": (ldap.deny_group or "").strip(),
        "groups": tuple((dn, ids) for dn, ids in (ldap.groups or {}).items()),
    }
    if groups is not None:
        values.update(group_search_base=groups.base, group_type=groups.type)
        if groups.filter is not None:
            values["group_filter"] = groups.filter
    return LdapSettings(**values)


def saml_settings(saml: schema.Saml, lines: typed.Lines) -> SamlSettings:
    """The SAML settings of a validated `auth.saml` without a problem, with the line of each
    key (for the checks of accounts.saml that read the IdP's files)."""
    at = ("auth", "saml")
    found = {"saml": lines.of_key(at)}
    for loc, line in lines.keys.items():
        if loc[:2] == at and len(loc) == 3:
            found[loc[2]] = line
    for loc, line in lines.keys.items():
        if loc[:3] == (*at, "idp") and len(loc) == 4:
            found[f"idp.{loc[3]}"] = line
    idp, sp = saml.idp, saml.sp or schema.SamlSp()
    values: dict[str, Any] = {
        f"idp_{key}": getattr(idp, key)
        for key in schema.SamlIdp.model_fields
        if getattr(idp, key) is not None
    }
    values.update(
        attributes=dict(saml.attributes or {}),
        groups={value: targets for value, targets in (saml.groups or {}).items() if targets},
        idp_initiated=saml.idp_initiated,
        signup=saml.signup,
        link_domains=saml.link_domains or (),
        lines=found,
    )
    if saml.slug is not None:
        values["slug"] = saml.slug
    if saml.name is not None:
        values["name"] = saml.name or "SSO"
    if sp.entity_id is not None:
        values["sp_entity_id"] = sp.entity_id
    return SamlSettings(**values)


def parse_page(path: Path, rel: str):
    name = path.name[: -len(".yaml")]
    doc = _read_yaml(path, rel)
    if not is_valid_id(name):
        doc.problems.insert(
            0, Problem(rel, 1, f"page name '{name}' (file name) must match {ID_RULE}", ids.BAD_ID)
        )
        return None, doc.problems
    if not doc.is_parsed:
        return None, doc.problems
    model, lines = typed.validate(doc, schema.PageFile, doc.root, "page")
    model = model or schema.PageFile()
    nodes = typed.top_nodes(doc.root)
    page_path = model.path or ("/" if name == "index" else f"/{name}/")
    if not page_path.endswith("/"):
        page_path += "/"
    title = (
        doc.text(nodes["title"][1], "title") if "title" in nodes else name.replace("_", " ").title()
    )
    view_permission: tuple[str, ...] = ("*",)
    view_permission_line = 1
    if "view_permission" in model.model_fields_set:
        view_permission = model.view_permission or ()
        view_permission_line = lines.of_key(("view_permission",))
    refs = tuple(
        BlockRef(app_id, block_id, lines.of_value(("blocks", index)))
        for index, (app_id, block_id) in enumerate(model.blocks or ())
    )
    page = Page(
        name=name,
        path=page_path,
        title=title,
        yaml_path=rel,
        view_permission=view_permission,
        view_permission_line=view_permission_line,
        blocks=refs,
        fresh_login=bool(model.fresh_login),
    )
    return page, doc.problems


def parse_app_settings(path: Path, rel: str):
    doc = _read_yaml(path, rel)
    if not doc.is_parsed:
        # Deny by default: an unreadable ACL is no ACL.
        return {"problems": doc.problems}, doc.problems
    model, lines = typed.validate(doc, schema.AppSettingsFile, doc.root, "app settings")
    model = model or schema.AppSettingsFile()
    nodes = typed.top_nodes(doc.root)
    values: dict[str, Any] = {"debug": model.debug}
    if "title" in nodes:
        values["title"] = doc.text(nodes["title"][1], "title")
    if "acl" in nodes:
        # Deny by default: an `acl:` that is not a mapping is an ACL that names nobody.
        values["acl"] = replace(app_acl(model.acl, lines), lines=acl_lines(*nodes["acl"]))
    if model.on_create:
        values["on_create"] = dict(model.on_create)
        values["on_create_lines"] = {
            item: lines.of_value(("on_create", item)) for item in model.on_create
        }
    values["problems"] = doc.problems
    return values, doc.problems


def app_acl(model: schema.Acl | None, lines: typed.Lines) -> AclSpec:
    """The ACL of a validated `acl:` mapping (principals as tuples; a field rule with its line)."""
    if model is None:
        return AclSpec()
    rights = {
        right: who or ()
        for right, who in (model.rights.model_dump() if model.rights else {}).items()
        if right in (model.rights.model_fields_set if model.rights else ())
    }
    fields = {
        item: acl.FieldRule(
            read=rule.read, write=rule.write, line=lines.of_key(("acl", "fields", item))
        )
        for item, rule in (model.fields or {}).items()
    }
    return AclSpec(
        rights=rights,
        roles={role: who or () for role, who in (model.roles or {}).items()},
        row_owners=model.row_owners or (),
        fields=fields,
    )


def on_create_problems(settings: SiteSettings, apps: dict[str, AppSpec]) -> list[Problem]:
    """An `on_create` naming a profile field that settings.yaml does not declare."""
    found = []
    for app in apps.values():
        for item, stamp in app.on_create.items():
            name = stamp.removeprefix(PROFILE_STAMP)
            if stamp.startswith(PROFILE_STAMP) and name not in settings.profile_fields:
                found.append(
                    Problem(
                        f"apps/{app.id}/settings.yaml",
                        app.on_create_lines.get(item, 1),
                        f"on_create.{item}: profile field '{name}' is not declared in "
                        "settings.yaml users.fields; fields: "
                        f"{', '.join(settings.profile_fields) or 'none'}",
                        ids.NOT_FOUND,
                    )
                )
    return found


def acl_lines(key_node, node) -> tuple[tuple[str, int], ...]:
    """The line of `acl:` and of each key beneath it, two levels down ("rights.author")."""
    found = [("acl", line_of(key_node))]
    if not isinstance(node, yaml.MappingNode):
        return tuple(found)
    for key, value in node.value:
        name = str(key.value)
        found.append((name, line_of(key)))
        if isinstance(value, yaml.MappingNode):
            found.extend((f"{name}.{inner.value}", line_of(inner)) for inner, _ in value.value)
    return tuple(found)


def parse_block(path: Path, rel: str):
    doc = _read_yaml(path, rel)
    if not doc.is_parsed:
        return None, doc.problems
    model, lines = typed.validate(
        doc, schema.BlockFile, doc.root, "block", read_by_loader=(("elements",),)
    )
    model = model or schema.BlockFile()
    nodes = typed.top_nodes(doc.root)
    definition: dict[str, Any] = {
        "title_element": None,
        "title": doc.text(nodes["title"][1], "title") if "title" in nodes else "",
        "target": model.target,
        "view_permission": ("*",),
        "view_permission_line": 1,
        "elements": (),
        "fresh_login": bool(model.fresh_login),
        "second_factor": model.second_factor,
    }
    if "view_permission" in model.model_fields_set:
        definition["view_permission"] = model.view_permission or ()
        definition["view_permission_line"] = lines.of_key(("view_permission",))
    if model.elements is not None:
        definition["elements"] = parse_elements(doc, nodes["elements"][1])
    if "title_element" in model.model_fields_set:
        wanted = model.title_element
        inputs = [e.id for e in definition["elements"] if e.is_input]
        if wanted in inputs:
            definition["title_element"] = wanted
        else:
            doc.problem(
                nodes["title_element"][1],
                f"title_element {wanted!r} names no input element of the block; "
                f"inputs: {', '.join(inputs) or 'none'}",
                ids.NOT_FOUND,
            )
    return definition, doc.problems


def parse_elements(doc: YamlFile, node, what: str = "elements") -> tuple[Element, ...]:
    elements = []
    for element_id, (key_node, value_node) in doc.mapping(node, what, None).items():
        if not is_valid_id(element_id):
            doc.problem(key_node, f"element id '{element_id}' must match {ID_RULE}", ids.BAD_ID)
            continue
        if element_id in RESERVED_ELEMENT_IDS:
            doc.problem(
                key_node,
                f"element id '{element_id}' is reserved ({', '.join(sorted(RESERVED_ELEMENT_IDS))})",
                ids.RESERVED,
            )
            continue
        element = parse_element(doc, element_id, key_node, value_node)
        if element is not None:
            elements.append(element)
    return tuple(elements)


def parse_element(doc: YamlFile, element_id: str, key_node, node) -> Element | None:
    """One element, read by the model of its type (schema.element_model)."""
    what = f"element '{element_id}'"
    element_type = element_type_of(doc, what, node)
    if element_type is None:
        return None
    model, _ = typed.validate(
        doc, schema.element_model(TYPES[element_type]), node, what, prefix=what
    )
    if model is None:
        return None
    values = {key: getattr(model, key) for key in type(model).model_fields}
    values = {key: value for key, value in values.items() if key in model.model_fields_set}
    label = values.pop("label", None)
    options = {key: values.pop(key) for key in list(values) if key not in ELEMENT_OWN_KEYS}
    options.update(texts_of(doc, what, TYPES[element_type], node, options))
    values.pop("type", None)
    for key in ("mode", "index_type", *RULES, "app"):
        if values.get(key) is None:
            values.pop(key, None)
    return Element(
        id=element_id,
        type=element_type,
        label=(
            doc.text(typed.top_nodes(node)["label"][1], f"{what} label")
            if label is not None
            else element_id.replace("_", " ").capitalize()
        ),
        line=line_of(key_node),
        options=options,
        **values,
    )


def texts_of(doc: YamlFile, what: str, definition, node, options: dict) -> dict:
    """The options of `definition` that are texts by language (a CHART's `title`) or mappings
    of names to them (a CHOICE's `choice_labels`), read from their nodes as a label is."""
    nodes = typed.top_nodes(node)
    found = {}
    for key in definition.text_options:
        if key in options:
            found[key] = doc.text(nodes[key][1], f"{what} {key}")
    for key in definition.text_map_options:
        if key in options:
            named = doc.mapping(nodes[key][1], f"{what} {key}", None)
            found[key] = {
                name: doc.text(value_node, f"{what} {key}.{name}")
                for name, (_key_node, value_node) in named.items()
            }
    return found


def element_type_of(doc: YamlFile, what: str, node) -> str | None:
    """The type an element names (`message: BASIC`, or its `type` key), or None (a problem)."""
    if isinstance(node, yaml.ScalarNode):
        type_node = node
    else:
        type_node = typed.top_nodes(node).get("type", (None, None))[1]
        if type_node is None or doc.value(type_node) not in TYPES:
            typed.validate(doc, schema.any_element_model(), node, what, prefix=what)
    if type_node is None:
        doc.problem(node, f"{what} has no type; allowed: {', '.join(TYPES)}", ids.MISSING_KEY)
        return None
    element_type = doc.value(type_node)
    if not isinstance(element_type, str) or element_type not in TYPES:
        doc.problem(
            type_node,
            f"{what}: unknown type {element_type!r}; allowed: {', '.join(TYPES)}",
            ids.NOT_A_CHOICE,
        )
        return None
    return element_type
