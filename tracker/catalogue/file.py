"""Read the service catalogue file (DESIGN §5.1): YAML text in, validated frozen specs out.

Pure: no database, no clock. Every refusal names the file, the line and the reason, and all of them
are reported at once (``CatalogueInvalid``) so a clerk fixes the file in one pass.

Keys accepted; anything else is refused, so a typo never silently drops a rule:

    (top level)      agencies, services                         both required
    agencies[]       code, name, departments                    all required
                     short_name                                 optional: the sender's name in
                                                                every SMS and email
    departments[]    code, name                                 required
                     phone, email, address, hours               optional; address and hours are
                                                                texts, shown on the pickup notice
    services[]       code, agency, department, name             required
                     time_limit, supplement, kind, steps,       optional
                     required_documents, legal_basis,
                     overdue_reason, faq, pickup, retention
    supplement       deadline, clock                            both optional
    faq[]            q, a                                       both required (texts)
    a text           zh-TW (required, not empty), en (optional)
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from tracker.catalogue.specs import (
    CLOCKS,
    DEFAULT_OVERDUE_REASON,
    DEFAULT_PICKUP,
    DEFAULT_RETENTION,
    DEFAULT_STEPS,
    DEFAULT_SUPPLEMENT_CLOCK,
    DEFAULT_SUPPLEMENT_DEADLINE,
    KINDS,
    PETITION_LIMIT,
    AgencySpec,
    Catalogue,
    Clock,
    DepartmentSpec,
    FaqEntry,
    Kind,
    ServiceSpec,
    Text,
)
from tracker.catalogue.yaml_nodes import (
    MAX_NAME_CHARS,
    MAX_SHORT_NAME_CHARS,
    CatalogueError,
    CatalogueInvalid,
    NodeReader,
    describe,
    line_of,
    peek_code,
)
from tracker.deadlines.limits import DEFAULT_LIMIT, TimeLimit, Unit

# Counter phone numbers as printed in Taiwan: 07-311-0000, (07)311-0000#123, 1999.
_PHONE_PATTERN = re.compile(r"^\+?[0-9()][0-9()\- ]{1,24}(#[0-9]{1,6})?$")
# Deliberately loose: the loader must not do DNS look-ups, it only catches obvious slips.
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_TOP_KEYS = ("agencies", "services")
_AGENCY_KEYS = ("code", "name", "departments")
_AGENCY_OPTIONAL = ("short_name",)
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
    "pickup",
    "retention",
)


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


class ServiceRefused(CatalogueInvalid):
    """A service refused outside a file (the console's SOP editor): each problem also under the
    service's key it is about (``name``, ``time_limit``, ``steps``...), for the form's fields."""

    def __init__(self, errors: list[CatalogueError], by_key: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.by_key = by_key


def read_service(
    document: Mapping[str, Any],
    *,
    departments: Mapping[str, Collection[str]],
    taken: Collection[str] = (),
    filename: str = "service",
) -> ServiceSpec:
    """Check one service given as the file would give it (a mapping of its keys), exactly as
    ``parse_catalogue`` checks a service in a file, with the same messages.

    ``departments`` are the known agencies' department codes; ``taken`` the codes of other
    services. The mapping is written as the YAML a file would hold and read back through the
    same reader, so the console's editor and the file cannot come to disagree.
    """
    text = yaml.safe_dump(
        dict(document), allow_unicode=True, sort_keys=False, default_flow_style=None, width=1 << 16
    )
    reader = _Reader(filename)
    root = reader.compose(text)
    known = {code: (0, set(codes)) for code, codes in departments.items()}
    seen: dict[str, int] = {}
    spec = None
    if root is not None:
        code = peek_code(root)
        if code in taken:
            reader.error(root, f"duplicate service code '{code}' (another service has it)")
        spec = reader.service(root, 1, known, seen)
    if reader.errors or spec is None:
        raise ServiceRefused(reader.errors, _errors_by_key(root, reader.errors))
    return spec


def _errors_by_key(root: Node | None, errors: list[CatalogueError]) -> dict[str, list[str]]:
    """Each error under the top-level key whose lines it falls in ("" for the service itself)."""
    starts: list[tuple[int, str]] = []
    if isinstance(root, MappingNode):
        starts = sorted(
            (line_of(key), key.value) for key, _ in root.value if isinstance(key, ScalarNode)
        )
    found: dict[str, list[str]] = {}
    for error in errors:
        key = ""
        for line, name in starts:
            if line <= error.line:
                key = name
        # A missing key is reported on the mapping's first line: it belongs to the service.
        if error.reason.startswith("missing required key"):
            key = ""
        found.setdefault(key, []).append(error.reason)
    return found


class _Reader(NodeReader):
    """The catalogue's structure: agencies, departments, services and their cross-references."""

    def catalogue(self, root: Node) -> Catalogue | None:
        if not isinstance(root, MappingNode):
            self.error(
                root,
                "the top level must be a mapping with 'agencies:' and 'services:', "
                f"not {describe(root)}",
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
        peeked = peek_code(node)
        where = f"agency '{peeked}'" if peeked else f"agency #{index}"
        before = len(self.errors)
        fields = self.mapping(node, where, _AGENCY_KEYS, _AGENCY_OPTIONAL)
        if fields is None or not all(key in fields for key in _AGENCY_KEYS):
            return None
        code = self.code(fields["code"], where)
        department_lines: dict[str, int] = {}
        if code in known:
            self.error(
                fields["code"], f"duplicate agency code '{code}' (first on line {known[code][0]})"
            )
        elif code:
            known[code] = (line_of(node), set())
        name = self.text(fields["name"], where, "name", MAX_NAME_CHARS)
        short_name = None
        if "short_name" in fields:
            short_name = self.text(fields["short_name"], where, "short_name", MAX_SHORT_NAME_CHARS)
        departments = [
            self.department(item, i, where, department_lines)
            for i, item in enumerate(
                self.items(fields["departments"], where, "departments", True), 1
            )
        ]
        if code in known and known[code][0] == line_of(node):
            known[code][1].update(department_lines)
        if len(self.errors) > before:
            return None
        return AgencySpec(
            code,
            name,
            tuple(d for d in departments if d is not None),
            line_of(node),
            short_name,
        )

    def department(
        self, node: Node, index: int, agency_where: str, first_line: dict[str, int]
    ) -> DepartmentSpec | None:
        peeked = peek_code(node)
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
            first_line[code] = line_of(fields["code"])
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
        return DepartmentSpec(code, name, phone, email, address, hours, line_of(node))

    def service(
        self, node: Node, index: int, known: dict[str, tuple[int, set[str]]], seen: dict[str, int]
    ) -> ServiceSpec | None:
        peeked = peek_code(node)
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
            seen[code] = line_of(fields["code"])
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
        pickup = DEFAULT_PICKUP
        if "pickup" in fields:
            pickup = self.flag(fields["pickup"], where, "pickup") is not False
        retention = DEFAULT_RETENTION
        if "retention" in fields:
            retention = self.retention(fields["retention"], where, "retention")
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
            pickup=pickup,
            retention=retention,
            line=line_of(node),
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
