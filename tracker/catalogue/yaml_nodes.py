"""Reading YAML nodes with the line of every problem: the catalogue file's building blocks.

``NodeReader`` walks composed YAML nodes (not loaded values, which lose their lines and
silently keep the last of duplicate keys), collecting every error instead of stopping at the
first: readers of single values record an error and return a placeholder, so one pass reports
everything.
"""

from __future__ import annotations

import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tracker.catalogue.specs import (
    DEFAULT_RETENTION,
    InvalidRetention,
    Retention,
    Text,
    parse_retention,
)
from tracker.deadlines.limits import InvalidLimit, TimeLimit, parse_limit

# Codes appear in URLs, Open311 service codes and case numbers: keep them plain and short.
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
# Names go into SMS notices, which must fit two segments: this bound lets the notice templates
# be tested with a worst-case name.
MAX_NAME_CHARS = 60
# The sender's name opens every SMS (【燕巢區公所】, [Yanchao Dist. Office]): short, or the
# message has no room left to say anything.
MAX_SHORT_NAME_CHARS = 20
# Any other text (a step, a document, an FAQ answer): long enough for real SOPs, short enough
# to catch a whole pasted document.
MAX_TEXT_CHARS = 1000
NULL_TAG = "tag:yaml.org,2002:null"


class CatalogueError(ValueError):
    """One problem in a catalogue file, with the 1-based line it is on."""

    def __init__(self, filename: str, line: int, reason: str) -> None:
        super().__init__(f"{filename}:{line}: {reason}")
        self.filename = filename
        self.line = line
        self.reason = reason


class CatalogueInvalid(ValueError):
    """A refused catalogue file: every problem found, in line order, one per line of ``str()``."""

    def __init__(self, errors: list[CatalogueError]) -> None:
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__("\n".join(str(error) for error in self.errors))


# Stands in for a text that could not be read; never leaves the reader (its error does).
BROKEN = Text("")


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


def is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if is_null(node):
        return "nothing"
    return f"'{node.value}'"


def peek_code(node: Node) -> str | None:
    """The code of a mapping before validating it, so its errors can name it."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if (
                isinstance(key, ScalarNode)
                and key.value == "code"
                and isinstance(value, ScalarNode)
            ):
                return value.value.strip() or None
    return None


class NodeReader:
    """Checks YAML nodes one value at a time, collecting ``errors`` (see the module doc)."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[CatalogueError] = []

    def error(self, node: Node, reason: str) -> None:
        self.errors.append(CatalogueError(self.filename, line_of(node), reason))

    def compose(self, text: str) -> Node | None:
        # compose (not load) keeps each node's position, and lets us see duplicate keys, which
        # PyYAML's constructor would silently overwrite.
        line, reason = 1, ""
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            reason = f"YAML syntax error: {exc.problem or exc.context}"
            if isinstance(exc, yaml.composer.ComposerError) and "another document" in reason:
                reason = "a catalogue is a single YAML document: remove this '---' and what follows"
        except yaml.reader.ReaderError as exc:
            line = text[: exc.position].count("\n") + 1
            reason = f"character {chr(exc.character)!r} is not allowed in a YAML file"
        else:
            if root is not None:
                return root
            reason = "the file is empty: a catalogue needs 'agencies:' and 'services:'"
        self.errors.append(CatalogueError(self.filename, line, reason))
        return None

    def mapping(
        self,
        node: Node,
        where: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
        noun: str = "key",
    ) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"{where} must be a mapping (key: value), not {describe(node)}")
            return None
        allowed = required + optional
        found: dict[str, Node] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, f"{where} has a {noun} that is not a plain word")
                continue
            key = key_node.value
            if key in first_line:
                self.error(
                    key_node,
                    f"duplicate {noun} '{key}' in {where} (first on line {first_line[key]})",
                )
                continue
            first_line[key] = line_of(key_node)
            if key not in allowed:
                self.error(
                    key_node, f"unknown {noun} '{key}' in {where} (allowed: {', '.join(allowed)})"
                )
                continue
            found[key] = value_node
        for key in required:
            if key not in found:
                self.error(node, f"missing required {noun} '{key}' in {where}")
        return found

    def items(self, node: Node, where: str, key: str, non_empty: bool) -> list[Node]:
        if not isinstance(node, SequenceNode):
            hint = "" if non_empty else " (write [] for none)"
            self.error(node, f"'{key}' in {where} must be a list, not {describe(node)}{hint}")
            return []
        if non_empty and not node.value:
            self.error(node, f"'{key}' in {where} is an empty list: give at least one")
        return list(node.value)

    def string(self, node: Node, where: str, key: str) -> str:
        if not isinstance(node, ScalarNode):
            self.error(node, f"'{key}' in {where} must be a single value, not {describe(node)}")
            return ""
        # The raw scalar text, not PyYAML's typed value: `en: No` must stay "No", not False.
        value = "" if is_null(node) else node.value.strip()
        if not value:
            self.error(node, f"'{key}' in {where} is empty")
        return value

    def code(self, node: Node, where: str) -> str:
        value = self.string(node, where, "code")
        if value and not CODE_PATTERN.match(value):
            self.error(
                node,
                f"bad code '{value}' for {where}: use 1 to 40 lowercase letters a-z, digits and "
                "hyphens, starting with a letter",
            )
        # Returned even when malformed, so references to it do not cascade into more errors.
        return value

    def text(self, node: Node, where: str, key: str, max_chars: int = MAX_TEXT_CHARS) -> Text:
        label = f"'{key}' of {where}"
        if isinstance(node, ScalarNode) and not is_null(node):
            self.error(
                node,
                f"{label} must give each language, like {{zh-TW: {node.value.strip()}, en: ...}}",
            )
            return BROKEN
        fields = self.mapping(node, label, required=("zh-TW",), optional=("en",), noun="language")
        if not fields or "zh-TW" not in fields:
            return BROKEN
        values = {lang: self.string(value, label, lang) for lang, value in fields.items()}
        for lang, value in values.items():
            if len(value) > max_chars:
                self.error(
                    fields[lang],
                    f"'{lang}' in {label} is {len(value)} characters long (at most {max_chars})",
                )
        return Text(values["zh-TW"], values.get("en"))

    def texts(self, node: Node, where: str, key: str, non_empty: bool) -> tuple[Text, ...]:
        items = self.items(node, where, key, non_empty)
        return tuple(self.text(item, where, f"{key}[{i}]") for i, item in enumerate(items, 1))

    def limit(self, node: Node, where: str, key: str, default: TimeLimit) -> TimeLimit:
        value = self.string(node, where, key)
        if not value:
            return default
        try:
            return parse_limit(value)
        except InvalidLimit as exc:
            self.error(node, f"bad {key} in {where}: {exc}")
            return default

    def choice(self, node: Node, where: str, key: str, choices: tuple[str, ...]) -> str:
        value = self.string(node, where, key)
        if value and value not in choices:
            self.error(node, f"bad {key} '{value}' in {where}: use {' or '.join(choices)}")
        return value

    def flag(self, node: Node, where: str, key: str) -> bool | None:
        """``true`` or ``false`` (YAML's own spellings); None, with an error, for anything else."""
        value = self.string(node, where, key)
        if value.lower() in ("true", "yes", "on"):
            return True
        if value.lower() in ("false", "no", "off"):
            return False
        if value:
            self.error(node, f"bad {key} '{value}' in {where}: use true or false")
        return None

    def retention(self, node: Node, where: str, key: str) -> Retention:
        """A retention period such as ``5y``; the default, with an error, when it is not one."""
        value = self.string(node, where, key)
        if not value:
            return DEFAULT_RETENTION
        try:
            return parse_retention(value)
        except InvalidRetention as exc:
            self.error(node, f"bad {key} in {where}: {exc}")
            return DEFAULT_RETENTION
