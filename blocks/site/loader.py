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
import datetime
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.signals import setting_changed

from . import code, layout
from .elements import TYPES, input_type_names, parse_day, parse_instant
from .spec import (
    EMAIL_VERIFICATION,
    ID_RULE,
    INDEX_TYPES,
    MODES,
    PROVIDERS,
    RIGHTS,
    AclSpec,
    AppSpec,
    BlockRef,
    BlockSpec,
    Element,
    Page,
    Problem,
    Site,
    SiteSettings,
    is_valid_id,
)
from .yamlcheck import YamlFile, line_of

ELEMENT_KEYS = (
    "type",
    "label",
    "mode",
    "index_type",
    "required",
    "min",
    "max",
    "max_length",
    "pattern",
    "choices",
    "app",
)
ELEMENT_RULE_KEYS = ("required", "min", "max", "max_length", "pattern", "choices", "app")
HOOKS = ("on_display", "on_save", "on_delete", "record_id")
RESERVED_ELEMENT_IDS = frozenset({"actions", "id", "block", *HOOKS})
RESERVED_PREFIXES = ("/apps/", "/api/", "/accounts/", "/admin/", "/static/")

Stamp = tuple[int, int]


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
                built = (signature, build_site(root, files))
                _cache.built = built
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


def reset_cache(**kwargs) -> None:
    _cache.built = None
    _cache.files.clear()


setting_changed.connect(reset_cache)


def scan(root: str) -> dict[str, tuple[str, Stamp]]:
    """rel path -> (path, stamp) for every file that makes up the site (os calls only: this
    runs on every request)."""
    found: dict[str, tuple[str, Stamp]] = {}
    _add_file(found, root, "settings.yaml")
    for entry in _list(os.path.join(root, "pages")):
        if entry.name.endswith(".yaml") and entry.is_file():
            _add_entry(found, "pages/" + entry.name, entry)
    for app in _list(os.path.join(root, "apps")):
        if not app.is_dir() or app.name.startswith((".", "_")):
            continue
        prefix = "apps/" + app.name + "/"
        _add_file(found, root, prefix + "settings.yaml")
        for entry in _list(os.path.join(app.path, "blocks")):
            if entry.name.endswith((".yaml", ".html", ".py")) and entry.is_file():
                _add_entry(found, prefix + "blocks/" + entry.name, entry)
    return found


def _list(folder: str):
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _add_file(found, root: str, rel: str) -> None:
    path = os.path.join(root, rel)
    try:
        stat = os.stat(path)
    except OSError:
        return
    found[rel] = (path, (stat.st_mtime_ns, stat.st_size))


def _add_entry(found, rel: str, entry) -> None:
    stat = entry.stat()
    found[rel] = (entry.path, (stat.st_mtime_ns, stat.st_size))


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
        checked.problems.append(Problem(rel, 1, f"cannot read file: {exc}"))
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
    for rel in sorted(rel for rel in files if rel.startswith("pages/")):
        page = load(rel, parse_page)
        if page is not None:
            pages[page.name] = page
    problems.extend(page_problems(pages, apps))
    problems.extend(element_problems(apps))
    problems.sort(key=lambda problem: (problem.path, problem.line))
    return Site(settings=site_settings, pages=pages, apps=apps, problems=tuple(problems))


def build_app(app_id: str, files, load, problems: list[Problem]) -> AppSpec | None:
    prefix = f"apps/{app_id}/"
    if not is_valid_id(app_id):
        first = min(rel for rel in files if rel.startswith(prefix))
        problems.append(
            Problem(first, 1, f"app id '{app_id}' (folder apps/{app_id}) must match {ID_RULE}")
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
        problems.append(Problem(rel, 1, f"block id '{block_id}' (file name) must match {ID_RULE}"))
        return None
    if yaml_rel not in files:
        for rel in (html_rel, py_rel):
            if rel in files:
                problems.append(Problem(rel, 1, f"no block '{block_id}': {yaml_rel} is missing"))
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
                )
            )
    return found


def element_problems(apps: dict[str, AppSpec]) -> list[Problem]:
    """Across blocks: an element id with two types in one app (items are checked against the
    app's elements), a REFERENCE naming an app that does not exist."""
    found = []
    for app in apps.values():
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
                        )
                    )
                if element.app is not None and element.app not in apps:
                    found.append(
                        Problem(
                            block.yaml_path,
                            element.line,
                            f"element '{element.id}': app '{element.app}' does not exist; "
                            f"apps: {', '.join(sorted(apps))}",
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
                    )
                )
            elif ref.block_id not in app.blocks:
                known = ", ".join(sorted(app.blocks)) or "none"
                found.append(
                    Problem(
                        page.yaml_path,
                        ref.line,
                        f"block '{ref.key}' not found; blocks in app '{ref.app_id}': {known}",
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
    keys = doc.mapping(doc.root, "settings.yaml", ("title", "auth", "groups"))
    values: dict[str, Any] = {}
    if "title" in keys:
        values["title"] = doc.string(keys["title"][1], "title")
    if "groups" in keys:
        values["groups"] = doc.ids(keys["groups"][1], "groups")
    auth = doc.mapping(
        keys["auth"][1] if "auth" in keys else None,
        "auth",
        ("signup", "email_verification", "providers", "otp", "user_managers"),
    )
    if "signup" in auth:
        values["signup"] = doc.boolean(auth["signup"][1], "auth.signup", True)
    if "email_verification" in auth:
        values["email_verification"] = doc.choice(
            auth["email_verification"][1], "auth.email_verification", EMAIL_VERIFICATION, "optional"
        )
    if "providers" in auth:
        providers = doc.ids(auth["providers"][1], "auth.providers")
        for name in providers:
            if name not in PROVIDERS:
                doc.problem(
                    auth["providers"][1],
                    f"unknown provider '{name}'; allowed: {', '.join(PROVIDERS)}",
                )
        values["providers"] = tuple(name for name in providers if name in PROVIDERS)
    if "user_managers" in auth:
        values["user_managers"] = (
            doc.principals(auth["user_managers"][1], "auth.user_managers") or ()
        )
    otp = doc.mapping(auth["otp"][1] if "otp" in auth else None, "auth.otp", ("required_for",))
    if "required_for" in otp:
        values["otp_required_for"] = (
            doc.principals(otp["required_for"][1], "auth.otp.required_for") or ()
        )
    return SiteSettings(**values), doc.problems


def parse_page(path: Path, rel: str):
    name = path.name[: -len(".yaml")]
    doc = _read_yaml(path, rel)
    if not is_valid_id(name):
        doc.problems.insert(
            0, Problem(rel, 1, f"page name '{name}' (file name) must match {ID_RULE}")
        )
        return None, doc.problems
    if not doc.is_parsed:
        return None, doc.problems
    keys = doc.mapping(doc.root, "page", ("path", "title", "view_permission", "blocks"))
    page_path = "/" if name == "index" else f"/{name}/"
    if "path" in keys:
        node = keys["path"][1]
        page_path = doc.string(node, "path", page_path)
        if not page_path.startswith("/"):
            doc.problem(node, f"path must start with '/', found '{page_path}'")
        elif page_path.startswith(RESERVED_PREFIXES):
            doc.problem(
                node,
                f"path '{page_path}' is taken by the site's own routes ({', '.join(RESERVED_PREFIXES)})",
            )
        if not page_path.endswith("/"):
            page_path += "/"
    title = (
        doc.string(keys["title"][1], "title") if "title" in keys else name.replace("_", " ").title()
    )
    view_permission: tuple[str, ...] = ("*",)
    if "view_permission" in keys:
        view_permission = doc.principals(keys["view_permission"][1], "view_permission") or ()
    refs = page_blocks(doc, keys["blocks"][1]) if "blocks" in keys else ()
    page = Page(
        name=name,
        path=page_path,
        title=title,
        yaml_path=rel,
        view_permission=view_permission,
        blocks=refs,
    )
    return page, doc.problems


def page_blocks(doc: YamlFile, node) -> tuple[BlockRef, ...]:
    if not hasattr(node, "value") or not isinstance(node.value, list):
        doc.problem(node, "blocks must be a list of 'app/block' names")
        return ()
    refs = []
    for item in node.value:
        value = doc.value(item)
        if isinstance(value, str) and value.count("/") == 1:
            app_id, block_id = value.split("/")
        elif isinstance(value, dict):
            keys = doc.mapping(item, "a page block", ("app", "block"))
            if set(keys) != {"app", "block"}:
                doc.problem(item, "a page block as a mapping needs both 'app' and 'block'")
                continue
            app_id, block_id = str(value["app"]), str(value["block"])
        else:
            doc.problem(
                item, f"a page block must be 'app/block' or {{app: …, block: …}}, found {value!r}"
            )
            continue
        if not (is_valid_id(app_id) and is_valid_id(block_id)):
            doc.problem(item, f"block '{app_id}/{block_id}': ids must match {ID_RULE}")
            continue
        refs.append(BlockRef(app_id, block_id, line_of(item)))
    return tuple(refs)


def parse_app_settings(path: Path, rel: str):
    doc = _read_yaml(path, rel)
    if not doc.is_parsed:
        # Deny by default: an unreadable ACL is no ACL.
        return {"problems": doc.problems}, doc.problems
    keys = doc.mapping(doc.root, "app settings", ("title", "debug", "acl"))
    values: dict[str, Any] = {}
    if "title" in keys:
        values["title"] = doc.string(keys["title"][1], "title")
    if "debug" in keys:
        values["debug"] = doc.boolean(keys["debug"][1], "debug", False)
    if "acl" in keys:
        values["acl"] = parse_acl(doc, keys["acl"][1])
    values["problems"] = doc.problems
    return values, doc.problems


def parse_acl(doc: YamlFile, node) -> AclSpec:
    keys = doc.mapping(node, "acl", ("rights", "roles", "row_owners"))
    rights = {}
    for right, (_, value_node) in doc.mapping(
        keys["rights"][1] if "rights" in keys else None, "acl.rights", RIGHTS
    ).items():
        rights[right] = doc.principals(value_node, f"acl.rights.{right}") or ()
    roles = {}
    for role, (key_node, value_node) in doc.mapping(
        keys["roles"][1] if "roles" in keys else None, "acl.roles", None
    ).items():
        if not is_valid_id(role):
            doc.problem(key_node, f"role name '{role}' must match {ID_RULE}")
            continue
        roles[role] = doc.principals(value_node, f"acl.roles.{role}") or ()
    row_owners = doc.ids(keys["row_owners"][1], "acl.row_owners") if "row_owners" in keys else ()
    return AclSpec(rights=rights, roles=roles, row_owners=row_owners)


def parse_block(path: Path, rel: str):
    doc = _read_yaml(path, rel)
    if not doc.is_parsed:
        return None, doc.problems
    keys = doc.mapping(
        doc.root, "block", ("elements", "target", "title", "title_element", "view_permission")
    )
    definition: dict[str, Any] = {
        "title_element": None,
        "title": "",
        "target": None,
        "view_permission": ("*",),
        "elements": (),
    }
    if "title" in keys:
        definition["title"] = doc.string(keys["title"][1], "title")
    if "target" in keys:
        definition["target"] = doc.choice(keys["target"][1], "target", ("ajax",), None)
    if "view_permission" in keys:
        definition["view_permission"] = (
            doc.principals(keys["view_permission"][1], "view_permission") or ()
        )
    if "elements" in keys:
        definition["elements"] = parse_elements(doc, keys["elements"][1])
    if "title_element" in keys:
        wanted = doc.value(keys["title_element"][1])
        inputs = [e.id for e in definition["elements"] if e.is_input]
        if wanted in inputs:
            definition["title_element"] = wanted
        else:
            doc.problem(
                keys["title_element"][1],
                f"title_element {wanted!r} names no input element of the block; "
                f"inputs: {', '.join(inputs) or 'none'}",
            )
    return definition, doc.problems


def parse_elements(doc: YamlFile, node) -> tuple[Element, ...]:
    elements = []
    for element_id, (key_node, value_node) in doc.mapping(node, "elements", None).items():
        if not is_valid_id(element_id):
            doc.problem(key_node, f"element id '{element_id}' must match {ID_RULE}")
            continue
        if element_id in RESERVED_ELEMENT_IDS:
            doc.problem(
                key_node,
                f"element id '{element_id}' is reserved ({', '.join(sorted(RESERVED_ELEMENT_IDS))})",
            )
            continue
        element = parse_element(doc, element_id, key_node, value_node)
        if element is not None:
            elements.append(element)
    return tuple(elements)


def parse_element(doc: YamlFile, element_id: str, key_node, node) -> Element | None:
    what = f"element '{element_id}'"
    line = line_of(key_node)
    if isinstance(node, yaml.ScalarNode):
        keys = {"type": (key_node, node)}
    else:
        keys = doc.mapping(node, what, ELEMENT_KEYS)
    if "type" not in keys:
        doc.problem(node, f"{what} has no type; allowed: {', '.join(TYPES)}")
        return None
    type_node = keys["type"][1]
    element_type = doc.value(type_node)
    if not isinstance(element_type, str) or element_type not in TYPES:
        doc.problem(
            type_node, f"{what}: unknown type {element_type!r}; allowed: {', '.join(TYPES)}"
        )
        return None
    label = (
        doc.string(keys["label"][1], f"{what} label")
        if "label" in keys
        else element_id.replace("_", " ").capitalize()
    )
    mode, index_type = "EDITABLE", None
    if "mode" in keys:
        mode = doc.choice(keys["mode"][1], f"{what} mode", MODES, "EDITABLE")
    if "index_type" in keys:
        index_type = doc.choice(keys["index_type"][1], f"{what} index_type", INDEX_TYPES, None)
    if not TYPES[element_type].is_input:
        for key in ("mode", "index_type"):
            if key in keys:
                doc.problem(
                    keys[key][0],
                    f"{what}: {key} applies only to {', '.join(input_type_names())} elements",
                )
        mode, index_type = "EDITABLE", None
    rules = parse_rules(doc, what, element_type, keys)
    return Element(
        id=element_id,
        type=element_type,
        label=label,
        mode=mode,
        index_type=index_type,
        line=line,
        **rules,
    )


def types_with(rule: str) -> str:
    if rule == "required":
        return ", ".join(input_type_names())
    if rule == "app":
        return "REFERENCE"
    return ", ".join(name for name, definition in TYPES.items() if rule in definition.rules)


def parse_rules(doc: YamlFile, what: str, type_name: str, keys) -> dict:
    """The validation keys of an element (contract §2), each checked against its type."""
    definition = TYPES[type_name]
    found: dict[str, Any] = {}
    for key in ELEMENT_RULE_KEYS:
        if key not in keys:
            continue
        key_node, value_node = keys[key]
        applies = (
            key in definition.rules
            or (key == "required" and definition.is_input)
            or (key == "app" and type_name == "REFERENCE")
        )
        if not applies:
            doc.problem(key_node, f"{what}: {key} applies only to {types_with(key)} elements")
            continue
        value = parse_rule(doc, what, type_name, key, value_node)
        if value is not None:
            found[key] = value
    if type_name == "CHOICE" and not found.get("choices"):
        doc.problem(keys.get("choices", keys["type"])[1], f"{what}: a CHOICE needs choices: [..]")
    if "min" in found and "max" in found:
        low, high = (bound_of(type_name, found[k]) for k in ("min", "max"))
        if low is not None and high is not None and low > high:
            doc.problem(keys["max"][1], f"{what}: max {found['max']} is below min {found['min']}")
    return found


def bound_of(type_name: str, value):
    if type_name == "NUMBER":
        return value
    return parse_day(value) if type_name == "DATE" else parse_instant(value)


def parse_rule(doc: YamlFile, what: str, type_name: str, key: str, node):
    value = doc.value(node)
    where = f"{what} {key}"
    if key == "required":
        return doc.boolean(node, where, False)
    if key == "app":
        if not is_valid_id(value):
            doc.problem(node, f"{where} must be an app id matching {ID_RULE}, found {value!r}")
            return None
        return value
    if key in ("min", "max"):
        if type_name == "NUMBER":
            if isinstance(value, bool) or not isinstance(value, int | float):
                doc.problem(node, f"{where} must be a number, found {value!r}")
                return None
            return value
        if isinstance(value, datetime.date):  # YAML reads 2026-07-01 as a date
            value = value.isoformat()
        text = value if isinstance(value, str) else ""
        ok = parse_day(text) if type_name == "DATE" else parse_instant(text)
        if ok is None:
            example = "2026-07-01" if type_name == "DATE" else "2026-07-01T18:00"
            doc.problem(
                node, f"{where} must be a {type_name.lower()} such as {example}, found {value!r}"
            )
            return None
        return text
    if key == "max_length":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            doc.problem(node, f"{where} must be a whole number of at least 1, found {value!r}")
            return None
        return value
    if key == "pattern":
        if not isinstance(value, str):
            doc.problem(node, f"{where} must be a regular expression (a string), found {value!r}")
            return None
        try:
            re.compile(value)
        except re.error as exc:
            doc.problem(node, f"{where} is not a regular expression: {exc}")
            return None
        return value
    # choices
    if not isinstance(value, list) or not value or not all(isinstance(c, str) and c for c in value):
        doc.problem(node, f"{where} must be a list of strings, found {value!r}")
        return None
    if len(set(value)) != len(value):
        doc.problem(node, f"{where} lists a choice twice")
        return None
    return tuple(value)
