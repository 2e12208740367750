"""The catalogue as checked specs: agencies, departments and services, frozen and plain.

Defaults for a key left out of a service:


    time_limit          2mo (行政程序法 Art. 51); 30d for a petition
    kind                application
    supplement          {deadline: 7d, clock: pause}
    steps               收件 Received, 審核 Review, 辦結 Completed
    required_documents  none
    legal_basis         none
    overdue_reason      案件處理中 / Being processed
    faq                 none
    pickup              true (the applicant collects something: the board says 可領件)
    retention           5y (personal data erased this long after the case is closed)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from tracker.deadlines.limits import DEFAULT_LIMIT, TimeLimit, Unit

Kind = Literal["application", "petition"]
Clock = Literal["pause", "restart"]
KINDS: tuple[Kind, ...] = ("application", "petition")
CLOCKS: tuple[Clock, ...] = ("pause", "restart")


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
    # The sender named first in every SMS and email (【三民區公所】); the name when not given.
    short_name: Text | None = None

    @property
    def sender(self) -> Text:
        """The name notices are signed with."""
        return self.short_name or self.name

    def department(self, code: str) -> DepartmentSpec:
        """The department with this code; ``KeyError`` if there is none."""
        for department in self.departments:
            if department.code == code:
                return department
        raise KeyError(code)

    def content(self) -> dict[str, Any]:
        """Everything the file says about this agency, JSON-able (lines excluded)."""
        content: dict[str, Any] = {
            "code": self.code,
            "name": self.name.as_dict(),
            "departments": [department.content() for department in self.departments],
        }
        if self.short_name is not None:
            content["short_name"] = self.short_name.as_dict()
        return content


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
DEFAULT_PICKUP = True


@dataclass(frozen=True, slots=True, order=True)
class Retention:
    """How long personal data is kept after a case is closed (個人資料保護法 Art. 11): ``5y``."""

    amount: int
    unit: str  # y | mo | d

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


class InvalidRetention(ValueError):
    """A retention period that is not ``N`` + ``y``, ``mo`` or ``d``."""


_RETENTION = re.compile(r"^\s*(\d{1,3})\s*(y|mo|d)\s*$")
DEFAULT_RETENTION = Retention(5, "y")


def parse_retention(text: str) -> Retention:
    """``5y``, ``18mo``, ``90d`` → a Retention; anything else is refused, saying why."""
    found = _RETENTION.match(text)
    if found is None:
        raise InvalidRetention(
            f"'{text}' is not a retention period: write a number and y (years), mo (months) or "
            "d (days), e.g. 5y"
        )
    amount = int(found.group(1))
    if amount < 1:
        raise InvalidRetention(f"'{text}' keeps nothing: a retention period is at least 1")
    return Retention(amount, found.group(2))


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
    pickup: bool = DEFAULT_PICKUP
    retention: Retention = DEFAULT_RETENTION
    line: int = 0

    def content(self) -> dict[str, Any]:
        """The SOP as a canonical JSON-able dict: equal dicts mean the same SOP version.

        Defaults are resolved, so writing a default out or leaving it out gives the same content;
        the line is left out, so moving a service within the file is not a change. Keys added
        after the first catalogues (pickup, retention) appear only when not at their default,
        so that a catalogue loaded before them keeps its versions.
        """
        content: dict[str, Any] = {
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
        if self.pickup != DEFAULT_PICKUP:
            content["pickup"] = self.pickup
        if self.retention != DEFAULT_RETENTION:
            content["retention"] = str(self.retention)
        return content


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
