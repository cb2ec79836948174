"""Validating a YAML node tree through a model of site_model.schema, with every problem at its line.

`validate(doc, model, node)` turns the nodes into plain data while noting the line of each
location (key and value), runs the model's validation, and turns each error of pydantic into a
`Problem` at the line of its location, with a check id and a message naming the key by its dotted
path. A broken value is then taken out (or replaced by the value its error says stands for it:
nobody, for principals) and the rest is validated again, so that one run lists every mistake and
keeps what is right (deny by default).

The models hold their own messages: a value type that says more than pydantic would raises a
`PydanticCustomError` whose type is the check id (`site.E005`) and whose context may say
- what stands in for the broken value (`instead`), so that the rest is still checked;
- that the message names its key itself (`alone`), else it follows the key's dotted name;
- which line it is at: the key's (`key_line`), the node's or else its parent key's
  (`key_if_absent`), or another key's (`at`, `or_at`, from the top of the validated node);
- that it comes after the problems of the keys on its line (`across`: max below min);
- what `said` knows it by when one place has two problems of one check (`said_as`).
A validator asks `said` whether a problem was said in an earlier round (so as not to say it
again) and `given` whether the file writes a key at all, even with a broken value.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import check_ids as ids
from .spec import Problem
from .yamlcheck import YamlFile, line_of

Loc = tuple[str | int, ...]
KEY = "[key]"  # pydantic's last location of an error in a mapping's key
MAX_ROUNDS = 20


class Lines:
    """The line of each location's key and of its value."""

    def __init__(self):
        self.keys: dict[Loc, int] = {}
        self.values: dict[Loc, int] = {}
        self.read_by_loader: tuple[Loc, ...] = ()
        self.read_by_hand: tuple[Loc, ...] = ()
        self.said: set[tuple[Loc, str]] = set()  # where validate found problems, and which

    def drop_item(self, loc: Loc) -> None:
        """Item `loc[-1]` of the list at `loc[:-1]` is taken out: the items after it move up."""
        at, index = len(loc) - 1, loc[-1]
        for table in (self.keys, self.values):
            moved = {}
            for where, line in table.items():
                if where[:at] == loc[:-1] and len(where) > at and isinstance(where[at], int):
                    if where[at] == index:
                        continue
                    if where[at] > index:
                        where = (*where[:at], where[at] - 1, *where[at + 1 :])
                moved[where] = line
            table.clear()
            table.update(moved)

    def of_key(self, loc: Loc) -> int:
        """The line of the key at `loc`; of its parent's key when the file does not write it."""
        if loc in self.keys:
            return self.keys[loc]
        if loc and loc not in self.values:
            return self.of_key(loc[:-1])
        return self.of_value(loc)

    def of_value(self, loc: Loc) -> int:
        while loc and loc not in self.values:
            loc = loc[:-1]
        return self.values.get(loc, 1)


def dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


def node_data(doc: YamlFile, node: yaml.Node | None, lines: Lines, what: str, loc: Loc = ()) -> Any:
    """Plain data of a node tree; a duplicate or non-string key is a problem and is left out.

    A mapping at a location of `lines.read_by_loader` stands as `{}`: the model checks only that
    it is a mapping, the loader reads what is in it with checks of its own. A key at a location
    of `lines.read_by_hand` is left out: the loader reads it, kind and all."""
    if node is None:
        return None
    lines.values[loc] = line_of(node)
    if isinstance(node, yaml.MappingNode):
        if loc in lines.read_by_loader:
            return {}
        found: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = doc.value(key_node)
            where = dotted(loc) or what
            if not isinstance(key, str):
                doc.problem(key_node, f"key {key!r} in {where} must be a string", ids.WRONG_KIND)
            elif key in found:
                doc.problem(key_node, f"duplicate key '{key}' in {where}", ids.DUPLICATE_KEY)
            else:
                lines.keys[(*loc, key)] = line_of(key_node)
                if (*loc, key) in lines.read_by_hand:
                    continue
                found[key] = node_data(doc, value_node, lines, what, (*loc, key))
        return found
    if isinstance(node, yaml.SequenceNode):
        return [node_data(doc, item, lines, what, (*loc, i)) for i, item in enumerate(node.value)]
    return doc.value(node)


def top_nodes(node: yaml.Node | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """The first (key node, value node) of each string key of a mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            found.setdefault(str(key_node.value), (key_node, value_node))
    return found


def kind_of_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}.get(
        type(value), f"a {type(value).__name__}"
    )


def validate(
    doc: YamlFile,
    model: type[BaseModel],
    node: yaml.Node | None,
    what: str,
    read_by_loader: tuple[Loc, ...] = (),
    prefix: str = "",
    read_by_hand: tuple[Loc, ...] = (),
):
    """The model of `node` (None when not even an empty one is valid) and the lines of its keys.

    `read_by_loader`, `read_by_hand`: locations the loader reads with checks of its own. `prefix`
    names the node in every message ("element 'seats'": "element 'seats' min must be ...")."""
    lines = Lines()
    lines.read_by_loader, lines.read_by_hand = read_by_loader, read_by_hand
    data = node_data(doc, node, lines, what)
    if data is None:
        data = {}
    said = lines.said
    for _ in range(MAX_ROUNDS):
        try:
            context = {"said": said, "given": lines.values}
            return model.model_validate(data, context=context), lines
        except ValidationError as error:
            entries = _first_per_location(error.errors(include_url=False))
            found = [
                (_problem(doc, model, entry, lines, data, what, prefix), _is_across(entry))
                for entry in entries
            ]
            # By line; on one line, a problem across keys (max below min) after those of keys.
            found.sort(key=lambda pair: (pair[0].line, pair[1]))
            doc.problems.extend(problem for problem, _ in found)
            said.update((_at_loc(entry), _said_as(entry)) for entry in entries)
            for entry in sorted(entries, key=_at_loc, reverse=True):
                data = _without(data, entry, lines)
    return None, lines


def _said_as(entry: dict) -> str:
    """What `said` knows a problem by: its check id, or the `said_as` of its context (two
    problems of one check at one place)."""
    return (entry.get("ctx") or {}).get("said_as") or entry["type"]


def _is_across(entry: dict) -> bool:
    return bool((entry.get("ctx") or {}).get("across"))


def given(info, key: str | Loc) -> bool:
    """Whether the file gives `key` (the end of a location: `("ldap", "group_search")`), even
    with a value that is broken."""
    end = (key,) if isinstance(key, str) else tuple(key)
    return any(loc[-len(end) :] == end for loc in (info.context or {}).get("given") or ())


def said(info, key: str | Loc, check: str | None = None) -> bool:
    """Whether a problem at `key` (the problem `check`, or any) was said in an earlier round of
    `validate`: a validator that would say it again (a key still missing) lets it pass instead,
    and a key taken out for its problem still counts as given. `key` is the end of the
    location: `"subject_pattern"`, or `("user_search", "base")`."""
    end = (key,) if isinstance(key, str) else tuple(key)
    found = (info.context or {}).get("said") or ()
    return any(loc[-len(end) :] == end and check in (None, kind) for loc, kind in found)


def _at_loc(entry: dict) -> Loc:
    """Where an error is: its location, or the key its context names (`at`)."""
    at = (entry.get("ctx") or {}).get("at")
    return tuple(at) if at is not None else _pruned_loc(entry["loc"])


def _first_per_location(entries: list[dict]) -> list[dict]:
    """One error per location (a union gives one per member), none beneath a broken location."""
    kept: list[dict] = []
    for entry in entries:
        loc = _pruned_loc(entry["loc"])
        entry["loc"] = _plain_loc(entry["loc"], entry)
        if any(loc[: len(_pruned_loc(k["loc"]))] == _pruned_loc(k["loc"]) for k in kept):
            continue
        kept = [k for k in kept if _pruned_loc(k["loc"])[: len(loc)] != loc]
        kept.append(entry)
    return kept


def _plain_loc(loc: tuple, entry: dict) -> Loc:
    """The location in the data: without union member tags (`list[str]`, `function-after[...]`)."""
    parts = []
    for part in loc:
        if isinstance(part, str) and part != KEY and ("[" in part or part in ("str", "int")):
            continue
        parts.append(part)
    return tuple(parts)


def _pruned_loc(loc: tuple) -> Loc:
    plain = _plain_loc(loc, {})
    return plain[:-1] if plain and plain[-1] == KEY else plain


def _problem(doc: YamlFile, model, entry: dict, lines: Lines, data, what: str, prefix: str):
    loc, kind, ctx = entry["loc"], entry["type"], entry.get("ctx") or {}
    names = Names(what, prefix, model)
    line, check, message = _described(model, loc, kind, ctx, lines, data, names, entry["msg"])
    return Problem(doc.rel_path, line, message, check)


class Names:
    """How a message names a location: its dotted path, after the node's `prefix` if any."""

    def __init__(self, what: str, prefix: str, model):
        self.what, self.prefix, self.model = what, prefix, model

    def of(self, place: Loc) -> str:
        path = self.dotted(place)
        if self.prefix:
            return f"{self.prefix} {path}" if place else self.prefix
        return path or self.what

    def dotted(self, place: Loc) -> str:
        """`auth.ldap.server`; an entry of a mapping its model names in `named_entries` is
        quoted: `auth.ldap.groups 'CN=IT,OU=Groups'`."""
        found, current, style = "", self.model, None
        for part in place:
            found += style.format(part) if style else f"{'.' if found else ''}{part}"
            model = _model_at(current, ()) if current is not None else None
            style = getattr(model, "named_entries", {}).get(part)
            current = _model_in(current, part)
        return found

    def lead(self, message: str) -> str:
        """A message that names its key itself, after the node's prefix."""
        return f"{self.prefix}: {message}" if self.prefix else message


def _described(model, loc, kind, ctx, lines: Lines, data, names: Names, pydantic_message):
    """(line, check id, message) of one error."""
    is_key = bool(loc) and loc[-1] == KEY
    place = loc[:-1] if is_key else loc
    name = names.of(place)
    if kind.startswith("site."):
        if ctx.get("at") is not None:
            at = tuple(ctx["at"])
            line = lines.values.get(at) or lines.of_value(tuple(ctx.get("or_at", at)))
            return line, kind, names.lead(pydantic_message)
        if ctx.get("alone"):
            if is_key or ctx.get("key_line"):
                line = lines.of_key(place)
            elif ctx.get("key_if_absent"):  # the node's line, else the line of its parent's key
                line = lines.values.get(place) or lines.of_key(place)
            else:
                line = lines.of_value(place)
            return line, kind, names.lead(pydantic_message)
        if is_key:
            return lines.of_key(place), kind, f"{names.of(place[:-1])}: {pydantic_message}"
        separator = "" if pydantic_message.startswith(":") else " "
        return lines.of_value(place), kind, f"{name}{separator}{pydantic_message}"
    found = kind_of_value(_at(data, place))
    if kind == "extra_forbidden":
        parent = _model_at(model, place[:-1])
        check, message = unknown_key(parent, place[-1], names.of(place[:-1]))
        return lines.of_key(place), check, message
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return lines.of_value(place), ids.WRONG_KIND, f"{name} must be a mapping, found {found}"
    if kind == "missing":
        return (
            lines.of_value(place[:-1]),
            ids.MISSING_KEY,
            f"{names.of(place[:-1])} needs the key '{place[-1]}'",
        )
    if kind == "literal_error":
        return (
            lines.of_value(place),
            ids.NOT_A_CHOICE,
            f"{name} must be one of {_choices(ctx.get('expected', ''))}; found {_at(data, place)!r}",
        )
    return lines.of_value(place), ids.WRONG_KIND, f"{name}: {pydantic_message}, found {found}"


def unknown_key(model, key: str, parent: str) -> tuple[str, str]:
    """(check id, message) of a key that `model` does not take; a model may say it itself
    (an element's key of another type: `unknown_key_problem`)."""
    own = getattr(model, "unknown_key_problem", None)
    if own is not None:
        return own(key, parent)
    allowed = ", ".join(model.model_fields)
    return ids.UNKNOWN_KEY, f"unknown key '{key}' in {parent}; allowed: {allowed}"


def _choices(expected: str) -> str:
    """pydantic's `'a', 'b' or 'c'` as the loader says it: `a, b, c`."""
    return expected.replace("'", "").replace(" or ", ", ")


def _at(data, loc: Loc):
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _without(data, entry: dict, lines: Lines):
    """The data with the broken value of `entry` taken out, or replaced by its `instead`."""
    loc = _at_loc(entry)
    if entry["type"] == "extra_forbidden" or (entry["loc"] and entry["loc"][-1] == KEY):
        instead = None
    else:
        instead = (entry.get("ctx") or {}).get("instead")
    if not loc:
        return {}
    parent = _at(data, loc[:-1])
    if isinstance(parent, (dict, list)):
        try:
            if instead is not None:
                parent[loc[-1]] = instead
            else:
                del parent[loc[-1]]
                if isinstance(parent, list):
                    lines.drop_item(loc)
        except (KeyError, IndexError):
            pass
    return data


def _model_at(model, loc: Loc):
    """The model class that describes the mapping at `loc`."""
    current: Any = model
    for part in loc:
        current = _model_in(current, part)
    for member in _members(current):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member
    return model


def _model_in(annotation, part):
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(part) if isinstance(part, str) else None
        return field.annotation if field else None
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            return _model_in(member, part)
        origin = typing.get_origin(member)
        if origin is dict:
            return typing.get_args(member)[1]
        if origin is list:
            return typing.get_args(member)[0]
    return None


def _members(annotation) -> list:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]
