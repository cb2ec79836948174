"""Reading one YAML file into values while keeping the line of every node.

`yaml.compose` gives nodes with marks; each check reports a `Problem` at the line of the node
it is about, and keeps going so that one run lists every mistake in the file.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from . import check_ids as ids
from .spec import Problem
from .texts import LANGUAGES, Texts


def line_of(node: yaml.Node | None) -> int:
    return node.start_mark.line + 1 if node is not None else 1


class YamlFile:
    """One site file being checked: its problems, and helpers that read nodes into values."""

    def __init__(self, rel_path: str, text: str):
        self.rel_path = rel_path
        self.problems: list[Problem] = []
        self.root = self._compose(text)

    def _compose(self, text: str) -> yaml.Node | None:
        try:
            return yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            self.problems.append(
                Problem(
                    self.rel_path, line, f"bad YAML: {exc.problem or exc.context}", ids.BAD_YAML
                )
            )
        except yaml.YAMLError as exc:
            self.problems.append(Problem(self.rel_path, 1, f"bad YAML: {exc}", ids.BAD_YAML))
        return None

    @property
    def is_parsed(self) -> bool:
        return not self.problems

    def problem(self, node: yaml.Node | None, message: str, check: str) -> None:
        self.problems.append(Problem(self.rel_path, line_of(node), message, check))

    def value(self, node: yaml.Node) -> Any:
        try:
            return SafeConstructor().construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            self.problem(node, f"bad YAML value: {exc}", ids.BAD_YAML)
            return None

    def mapping(self, node: yaml.Node | None, what: str, allowed: tuple[str, ...] | None):
        """The keys of a mapping node -> (key node, value node); unknown keys are problems.

        `allowed=None` accepts any key (element ids, role names); they are returned as they are.
        """
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping, found {kind_of(node)}", ids.WRONG_KIND)
            return {}
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                self.problem(key_node, f"key {key!r} in {what} must be a string", ids.WRONG_KIND)
            elif key in found:
                self.problem(key_node, f"duplicate key '{key}' in {what}", ids.DUPLICATE_KEY)
            elif allowed is not None and key not in allowed:
                self.problem(
                    key_node,
                    f"unknown key '{key}' in {what}; allowed: {', '.join(allowed)}",
                    ids.UNKNOWN_KEY,
                )
            else:
                found[key] = (key_node, value_node)
        return found

    def string(self, node: yaml.Node, what: str, default: str = "") -> str:
        value = self.value(node)
        if value is None:
            return default
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        self.problem(node, f"{what} must be a string, found {kind_of(node)}", ids.WRONG_KIND)
        return default

    def text(self, node: yaml.Node, what: str, default: str = "") -> str:
        """A text for every language (a plain string), or one per language code:
        `{en: Sales, fr: Ventes}` (a `Texts`); an unknown code is a problem."""
        if not isinstance(node, yaml.MappingNode):
            return self.string(node, what, default)
        by_language = {}
        for code, (key_node, value_node) in self.mapping(node, what, None).items():
            if code not in LANGUAGES:
                self.problem(
                    key_node,
                    f"{what}: unknown language '{code}'; languages: {', '.join(LANGUAGES)}",
                    ids.UNKNOWN_LANGUAGE,
                )
                continue
            by_language[code] = self.string(value_node, f"{what} ({code})")
        if not by_language:
            return default
        return Texts(by_language, self.rel_path, line_of(node))


def kind_of(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    return {
        "str": "a string",
        "int": "a number",
        "float": "a number",
        "bool": "true/false",
        "null": "nothing",
    }.get(tag, f"a {tag}")
