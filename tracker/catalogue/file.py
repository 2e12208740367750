"""Read the service catalogue file (DESIGN §5.1): YAML text in, validated frozen specs out.

Pure: no database, no clock. Every refusal names the file, the line and the reason, and all of them
are reported at once (``CatalogueInvalid``) so a clerk fixes the file in one pass.

Keys accepted; anything else is refused, so a typo never silently drops a rule:

    (top level)      agencies, services                         both required
    agencies[]       code, name, departments                    all required
    departments[]    code, name                                 required
                     phone, email, address, hours               optional; address and hours are
                                                                texts, shown on the pickup notice
    services[]       code, agency, department, name             required
                     time_limit, supplement, kind, steps,       optional
                     required_documents, legal_basis,
                     overdue_reason, faq
    supplement       deadline, clock                            both optional
    faq[]            q, a                                       both required (texts)
    a text           zh-TW (required, not empty), en (optional)

Defaults for a key left out of a service:

    time_limit          2mo (行政程序法 Art. 51); 30d for a petition
    kind                application
    supplement          {deadline: 7d, clock: pause}
    steps               收件 Received, 審核 Review, 辦結 Completed
    required_documents  none
    legal_basis         none
    overdue_reason      案件處理中 / Being processed
    faq                 none
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tracker.deadlines.limits import DEFAULT_LIMIT, InvalidLimit, TimeLimit, Unit, parse_limit

Kind = Literal["application", "petition"]
Clock = Literal["pause", "restart"]
KINDS: tuple[Kind, ...] = ("application", "petition")
CLOCKS: tuple[Clock, ...] = ("pause", "restart")

# Codes appear in URLs, Open311 service codes and case numbers: keep them plain and short.
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
# Names go into SMS notices, which must fit two segments: this bound lets the notice templates
# be tested with a worst-case name.
MAX_NAME_CHARS = 60
# Any other text (a step, a document, an FAQ answer): long enough for real SOPs, short enough
# to catch a whole pasted document.
MAX_TEXT_CHARS = 1000
# Counter phone numbers as printed in Taiwan: 07-311-0000, (07)311-0000#123, 1999.
_PHONE_PATTERN = re.compile(r"^\+?[0-9()][0-9()\- ]{1,24}(#[0-9]{1,6})?$")
# Deliberately loose: the loader must not do DNS look-ups, it only catches obvious slips.
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_NULL_TAG = "tag:yaml.org,2002:null"

_TOP_KEYS = ("agencies", "services")
_AGENCY_KEYS = ("code", "name", "departments")
_DEPARTMENT_REQUIRED = ("code", "name")
_DEPARTMENT_OPTIONAL = ("phone", "email", "address", "hours")
_SERVICE_REQUIRED = ("code", "agency", "department", "name")
_SERVICE_OPTIONAL = (
    "time_limit",
    "supplement",
    "kind",
    "steps",
    "required_documents",
    "legal_basis",
    "overdue_reason",
    "faq",
)


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


@dataclass(frozen=True, slots=True)
class Text:
    """A text in Traditional Chinese with an optional English translation."""

    zh_tw: str
    en: str | None = None

    def get(self, lang: str) -> str:
        """The text in ``lang`` (``en``, ``en-GB``... or ``zh-TW``), falling back to zh-TW."""
        if lang.lower().startswith("en") and self.en:
            return self.en
        return self.zh_tw

    def as_dict(self) -> dict[str, str]:
        """The text as written in the catalogue file: ``{"zh-TW": ..., "en": ...}``."""
        result = {"zh-TW": self.zh_tw}
        if self.en is not None:
            result["en"] = self.en
        return result


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question and answer shown on the service's public page."""

    q: Text
    a: Text

    def as_dict(self) -> dict[str, dict[str, str]]:
        """The entry as written in the catalogue file."""
        return {"q": self.q.as_dict(), "a": self.a.as_dict()}


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    """A department (課室) as the file describes it."""

    code: str
    name: Text
    phone: str | None = None
    email: str | None = None
    address: Text | None = None
    hours: Text | None = None
    line: int = 0

    def content(self) -> dict[str, Any]:
        """Everything the file says about this department, JSON-able (the line excluded)."""
        return {
            "code": self.code,
            "name": self.name.as_dict(),
            "phone": self.phone,
            "email": self.email,
            "address": self.address.as_dict() if self.address else None,
            "hours": self.hours.as_dict() if self.hours else None,
        }


@dataclass(frozen=True, slots=True)
class AgencySpec:
    """An agency (機關) with its departments, as the file describes it."""

    code: str
    name: Text
    departments: tuple[DepartmentSpec, ...]
    line: int = 0

    def department(self, code: str) -> DepartmentSpec:
        """The department with this code; ``KeyError`` if there is none."""
        for department in self.departments:
            if department.code == code:
                return department
        raise KeyError(code)

    def content(self) -> dict[str, Any]:
        """Everything the file says about this agency, JSON-able (lines excluded)."""
        return {
            "code": self.code,
            "name": self.name.as_dict(),
            "departments": [department.content() for department in self.departments],
        }


# Defaults for services that leave keys out (see the module docstring).
PETITION_LIMIT = TimeLimit(30, Unit.DAYS)
# 7 days is the period offices most often print on a 補正 letter (「文到7日內補正」).
DEFAULT_SUPPLEMENT_DEADLINE = TimeLimit(7, Unit.DAYS)
DEFAULT_SUPPLEMENT_CLOCK: Clock = "pause"
DEFAULT_STEPS = (
    Text("收件", "Received"),
    Text("審核", "Review"),
    Text("辦結", "Completed"),
)
DEFAULT_OVERDUE_REASON = Text("案件處理中", "Being processed")


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A service with its SOP, defaults resolved; ``line`` is where it starts in the file."""

    code: str
    agency: str
    department: str
    name: Text
    time_limit: TimeLimit = DEFAULT_LIMIT
    supplement_deadline: TimeLimit = DEFAULT_SUPPLEMENT_DEADLINE
    supplement_clock: Clock = DEFAULT_SUPPLEMENT_CLOCK
    kind: Kind = "application"
    steps: tuple[Text, ...] = DEFAULT_STEPS
    required_documents: tuple[Text, ...] = ()
    legal_basis: Text | None = None
    overdue_reason: Text = DEFAULT_OVERDUE_REASON
    faq: tuple[FaqEntry, ...] = ()
    line: int = 0

    def content(self) -> dict[str, Any]:
        """The SOP as a canonical JSON-able dict: equal dicts mean the same SOP version.

        Defaults are resolved, so writing a default out or leaving it out gives the same content;
        the line is left out, so moving a service within the file is not a change.
        """
        return {
            "code": self.code,
            "agency": self.agency,
            "department": self.department,
            "name": self.name.as_dict(),
            "kind": self.kind,
            "time_limit": str(self.time_limit),
            "supplement": {
                "deadline": str(self.supplement_deadline),
                "clock": self.supplement_clock,
            },
            "steps": [step.as_dict() for step in self.steps],
            "required_documents": [document.as_dict() for document in self.required_documents],
            "legal_basis": self.legal_basis.as_dict() if self.legal_basis else None,
            "overdue_reason": self.overdue_reason.as_dict(),
            "faq": [entry.as_dict() for entry in self.faq],
        }


@dataclass(frozen=True, slots=True)
class Catalogue:
    """A whole validated catalogue file, in file order."""

    agencies: tuple[AgencySpec, ...]
    services: tuple[ServiceSpec, ...]

    def agency(self, code: str) -> AgencySpec:
        """The agency with this code; ``KeyError`` if there is none."""
        for agency in self.agencies:
            if agency.code == code:
                return agency
        raise KeyError(code)

    def service(self, code: str) -> ServiceSpec:
        """The service with this code; ``KeyError`` if there is none."""
        for service in self.services:
            if service.code == code:
                return service
        raise KeyError(code)


def read_catalogue(path: str | PathLike[str]) -> Catalogue:
    """Read and validate the catalogue file at ``path`` (UTF-8, a BOM is tolerated)."""
    filename = str(path)
    data = Path(path).read_bytes()
    # Windows Notepad adds a BOM; accepting it spares the clerk a confusing error. It is
    # stripped by hand so that a decoding error's offset counts the same bytes as the lines.
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        reason = "the file is not UTF-8 text: save it as UTF-8 (not Big5) and load it again"
        raise CatalogueInvalid([CatalogueError(filename, line, reason)]) from None
    return parse_catalogue(text, filename)


def parse_catalogue(text: str, filename: str) -> Catalogue:
    """Validate catalogue YAML ``text``; raise ``CatalogueInvalid`` listing every problem."""
    reader = _Reader(filename)
    root = reader.compose(text)
    catalogue = reader.catalogue(root) if root is not None else None
    if reader.errors or catalogue is None:
        raise CatalogueInvalid(reader.errors)
    return catalogue


# Stands in for a text that could not be read; never leaves the reader (its error does).
_BROKEN = Text("")


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if _is_null(node):
        return "nothing"
    return f"'{node.value}'"


def _peek_code(node: Node) -> str | None:
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


class _Reader:
    """Walks the composed YAML nodes, collecting errors instead of stopping at the first.

    Readers of single values record an error and return a placeholder, so one pass reports
    everything; a spec is built only when reading it added no error.
    """

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[CatalogueError] = []

    def error(self, node: Node, reason: str) -> None:
        self.errors.append(CatalogueError(self.filename, _line(node), reason))

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

    # -- structure and values ------------------------------------------------------------------

    def mapping(
        self,
        node: Node,
        where: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
        noun: str = "key",
    ) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"{where} must be a mapping (key: value), not {_describe(node)}")
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
            first_line[key] = _line(key_node)
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
            self.error(node, f"'{key}' in {where} must be a list, not {_describe(node)}{hint}")
            return []
        if non_empty and not node.value:
            self.error(node, f"'{key}' in {where} is an empty list: give at least one")
        return list(node.value)

    def string(self, node: Node, where: str, key: str) -> str:
        if not isinstance(node, ScalarNode):
            self.error(node, f"'{key}' in {where} must be a single value, not {_describe(node)}")
            return ""
        # The raw scalar text, not PyYAML's typed value: `en: No` must stay "No", not False.
        value = "" if _is_null(node) else node.value.strip()
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
        if isinstance(node, ScalarNode) and not _is_null(node):
            self.error(
                node,
                f"{label} must give each language, like {{zh-TW: {node.value.strip()}, en: ...}}",
            )
            return _BROKEN
        fields = self.mapping(node, label, required=("zh-TW",), optional=("en",), noun="language")
        if not fields or "zh-TW" not in fields:
            return _BROKEN
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

    # -- the catalogue -------------------------------------------------------------------------

    def catalogue(self, root: Node) -> Catalogue | None:
        if not isinstance(root, MappingNode):
            self.error(
                root,
                "the top level must be a mapping with 'agencies:' and 'services:', "
                f"not {_describe(root)}",
            )
            return None
        top = self.mapping(root, "the catalogue", required=_TOP_KEYS)
        if top is None or len(top) < len(_TOP_KEYS):
            return None
        # agency code -> (line, department codes); filled even for broken agencies so that
        # services referring to them do not add a second, misleading "unknown agency".
        known: dict[str, tuple[int, set[str]]] = {}
        agencies = [
            self.agency(node, i, known)
            for i, node in enumerate(
                self.items(top["agencies"], "the catalogue", "agencies", True), 1
            )
        ]
        seen: dict[str, int] = {}
        services = [
            self.service(node, i, known, seen)
            for i, node in enumerate(
                self.items(top["services"], "the catalogue", "services", False), 1
            )
        ]
        if self.errors:
            return None
        return Catalogue(
            tuple(a for a in agencies if a is not None), tuple(s for s in services if s is not None)
        )

    def agency(
        self, node: Node, index: int, known: dict[str, tuple[int, set[str]]]
    ) -> AgencySpec | None:
        peeked = _peek_code(node)
        where = f"agency '{peeked}'" if peeked else f"agency #{index}"
        before = len(self.errors)
        fields = self.mapping(node, where, required=_AGENCY_KEYS)
        if fields is None or len(fields) < len(_AGENCY_KEYS):
            return None
        code = self.code(fields["code"], where)
        department_lines: dict[str, int] = {}
        if code in known:
            self.error(
                fields["code"], f"duplicate agency code '{code}' (first on line {known[code][0]})"
            )
        elif code:
            known[code] = (_line(node), set())
        name = self.text(fields["name"], where, "name", MAX_NAME_CHARS)
        departments = [
            self.department(item, i, where, department_lines)
            for i, item in enumerate(
                self.items(fields["departments"], where, "departments", True), 1
            )
        ]
        if code in known and known[code][0] == _line(node):
            known[code][1].update(department_lines)
        if len(self.errors) > before:
            return None
        return AgencySpec(code, name, tuple(d for d in departments if d is not None), _line(node))

    def department(
        self, node: Node, index: int, agency_where: str, first_line: dict[str, int]
    ) -> DepartmentSpec | None:
        peeked = _peek_code(node)
        where = f"department '{peeked}'" if peeked else f"department #{index}"
        where = f"{where} of {agency_where}"
        before = len(self.errors)
        fields = self.mapping(node, where, _DEPARTMENT_REQUIRED, _DEPARTMENT_OPTIONAL)
        if fields is None or not all(key in fields for key in _DEPARTMENT_REQUIRED):
            return None
        code = self.code(fields["code"], where)
        if code in first_line:
            self.error(
                fields["code"],
                f"duplicate department code '{code}' in {agency_where} "
                f"(first on line {first_line[code]})",
            )
        elif code:
            first_line[code] = _line(fields["code"])
        name = self.text(fields["name"], where, "name", MAX_NAME_CHARS)
        phone = email = None
        if "phone" in fields:
            phone = self.string(fields["phone"], where, "phone")
            if phone and not _PHONE_PATTERN.match(phone):
                self.error(
                    fields["phone"],
                    f"bad phone '{phone}' in {where}: use digits, spaces, '-', '()' and '#' "
                    "before an extension, e.g. 07-311-0000#123",
                )
        if "email" in fields:
            email = self.string(fields["email"], where, "email")
            if email and (len(email) > 254 or not _EMAIL_PATTERN.match(email)):
                self.error(fields["email"], f"bad email '{email}' in {where}")
        address = self.text(fields["address"], where, "address") if "address" in fields else None
        hours = self.text(fields["hours"], where, "hours") if "hours" in fields else None
        if len(self.errors) > before:
            return None
        return DepartmentSpec(code, name, phone, email, address, hours, _line(node))

    def service(
        self, node: Node, index: int, known: dict[str, tuple[int, set[str]]], seen: dict[str, int]
    ) -> ServiceSpec | None:
        peeked = _peek_code(node)
        where = f"service '{peeked}'" if peeked else f"service #{index}"
        before = len(self.errors)
        fields = self.mapping(node, where, _SERVICE_REQUIRED, _SERVICE_OPTIONAL)
        if fields is None or not all(key in fields for key in _SERVICE_REQUIRED):
            return None
        code = self.code(fields["code"], where)
        if code in seen:
            self.error(
                fields["code"], f"duplicate service code '{code}' (first on line {seen[code]})"
            )
        elif code:
            seen[code] = _line(fields["code"])
        agency, department = self.owner(fields, where, known)
        name = self.text(fields["name"], where, "name", MAX_NAME_CHARS)
        kind: Kind = "application"
        if "kind" in fields and self.choice(fields["kind"], where, "kind", KINDS) == "petition":
            kind = "petition"
        time_limit = PETITION_LIMIT if kind == "petition" else DEFAULT_LIMIT
        if "time_limit" in fields:
            time_limit = self.limit(fields["time_limit"], where, "time_limit", time_limit)
        deadline, clock = DEFAULT_SUPPLEMENT_DEADLINE, DEFAULT_SUPPLEMENT_CLOCK
        if "supplement" in fields:
            deadline, clock = self.supplement(fields["supplement"], where)
        steps = DEFAULT_STEPS
        if "steps" in fields:
            steps = self.texts(fields["steps"], where, "steps", non_empty=True)
        documents: tuple[Text, ...] = ()
        if "required_documents" in fields:
            documents = self.texts(fields["required_documents"], where, "required_documents", False)
        legal_basis = None
        if "legal_basis" in fields:
            legal_basis = self.text(fields["legal_basis"], where, "legal_basis")
        overdue_reason = DEFAULT_OVERDUE_REASON
        if "overdue_reason" in fields:
            overdue_reason = self.text(fields["overdue_reason"], where, "overdue_reason")
        faq = self.faq(fields["faq"], where) if "faq" in fields else ()
        if len(self.errors) > before:
            return None
        return ServiceSpec(
            code=code,
            agency=agency,
            department=department,
            name=name,
            time_limit=time_limit,
            supplement_deadline=deadline,
            supplement_clock=clock,
            kind=kind,
            steps=steps,
            required_documents=documents,
            legal_basis=legal_basis,
            overdue_reason=overdue_reason,
            faq=faq,
            line=_line(node),
        )

    def owner(
        self, fields: dict[str, Node], where: str, known: dict[str, tuple[int, set[str]]]
    ) -> tuple[str, str]:
        agency = self.string(fields["agency"], where, "agency")
        department = self.string(fields["department"], where, "department")
        if agency and agency not in known:
            self.error(
                fields["agency"],
                f"unknown agency '{agency}' in {where} (known: {', '.join(known) or 'none'})",
            )
        elif agency and department and department not in known[agency][1]:
            departments = ", ".join(sorted(known[agency][1])) or "none"
            self.error(
                fields["department"],
                f"unknown department '{department}' of agency '{agency}' in {where} "
                f"(departments of {agency}: {departments})",
            )
        return agency, department

    def supplement(self, node: Node, where: str) -> tuple[TimeLimit, Clock]:
        label = f"'supplement' of {where}"
        fields = self.mapping(node, label, required=(), optional=("deadline", "clock")) or {}
        deadline = DEFAULT_SUPPLEMENT_DEADLINE
        if "deadline" in fields:
            deadline = self.limit(fields["deadline"], label, "deadline", deadline)
            # An applicant is given days to bring documents; hours or months are a slip.
            if deadline.unit not in (Unit.DAYS, Unit.WORKING_DAYS):
                self.error(
                    fields["deadline"],
                    f"bad deadline '{deadline}' in {label}: a supplement deadline is counted in "
                    "days, use d (calendar days) or wd (working days)",
                )
        clock: Clock = DEFAULT_SUPPLEMENT_CLOCK
        if "clock" in fields and self.choice(fields["clock"], label, "clock", CLOCKS) == "restart":
            clock = "restart"
        return deadline, clock

    def faq(self, node: Node, where: str) -> tuple[FaqEntry, ...]:
        entries = []
        for i, item in enumerate(self.items(node, where, "faq", non_empty=False), 1):
            label = f"faq[{i}] of {where}"
            fields = self.mapping(item, label, required=("q", "a"))
            if fields and "q" in fields and "a" in fields:
                entries.append(
                    FaqEntry(self.text(fields["q"], label, "q"), self.text(fields["a"], label, "a"))
                )
        return tuple(entries)
