"""What the SLA configuration and SLA view actions return, rendered as JSON by the agent API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from socialcare.model.case import Case
from socialcare.model.config import ConfigKind, StoredConfig
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.policies import SlaPolicy
from socialcare.rules.sla import DueTimes

DEFAULTS_VERSION = 0  # the version shown for the built-in policy set: nothing is stored yet


@dataclass(frozen=True, slots=True)
class ConfigResult:
    """A configuration document and its version (``DEFAULTS_VERSION`` for built-in defaults), and where
    it comes from: ``stored``, or, while none is stored, ``defaults`` (the built-in policy set),
    ``deployed`` (the routing rules the functions were deployed with) or ``none``."""

    kind: ConfigKind
    name: str
    version: int
    document: Mapping[str, object]
    updated_at_ms: int | None = None
    updated_by: str | None = None
    source: str = "stored"

    @classmethod
    def of(cls, stored: StoredConfig) -> ConfigResult:
        return cls(stored.kind, stored.name, stored.version, stored.document, stored.updated_at_ms, stored.updated_by)

    @property
    def is_default(self) -> bool:
        return self.version == DEFAULTS_VERSION


@dataclass(frozen=True, slots=True)
class ConfigList:
    kind: ConfigKind
    items: list[ConfigResult]


@dataclass(frozen=True, slots=True)
class CalendarNow:
    """The calendar as the case sees it now: open, or when it opens again (``reopens``: "Monday 09:00 CET")."""

    calendar: BusinessCalendar
    open_now: bool
    reopens_at_ms: int | None
    reopens: str | None


@dataclass(frozen=True, slots=True)
class CaseSla:
    case: Case
    policy: SlaPolicy
    policy_version: int  # DEFAULTS_VERSION: the built-in per-channel targets
    calendar: CalendarNow
    due: DueTimes
    now_ms: int
