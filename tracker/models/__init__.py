"""The storage model: import everything from here so every table is registered."""

from tracker.models.accounts import ApiKey, Role, User
from tracker.models.audit import AuditEntry
from tracker.models.base import Base
from tracker.models.calendar import CalendarDay, CalendarRevision, Closure
from tracker.models.cases import Case, CaseCounter, CaseEvent, Pause
from tracker.models.catalogue import Agency, Department, Service, ServiceVersion
from tracker.models.line import LineBinding
from tracker.models.notices import Notice
from tracker.models.operations import CaseGauge, Heartbeat, ProviderCredit
from tracker.models.surveys import SurveyResponse

__all__ = [
    "Agency",
    "ApiKey",
    "AuditEntry",
    "Base",
    "CalendarDay",
    "CalendarRevision",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseGauge",
    "Closure",
    "Department",
    "Heartbeat",
    "LineBinding",
    "Notice",
    "Pause",
    "ProviderCredit",
    "Role",
    "Service",
    "ServiceVersion",
    "SurveyResponse",
    "User",
]
