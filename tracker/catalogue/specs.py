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
"""

from __future__ import annotations

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
