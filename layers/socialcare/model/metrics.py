"""The care floor's CloudWatch metrics: their names, units and the only dimensions they carry.

Two kinds. **Event metrics** are derived from case writes as they happen (``socialcare.metrics.events``,
emitted by the clock function in CloudWatch's embedded metric format): messages in, response and
resolution times, targets met or missed, escalations, reopenings. **Open-work metrics** are a
snapshot of the teams' queues taken by the scheduled publisher (``socialcare.metrics.open_work``).

Dimensions are deliberate and few: ``team`` and ``channel``, both drawn from short configured lists.
Nothing is ever split by agent or customer: per-agent figures belong in reports, not in metrics
whose every distinct dimension value is a billed series.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

TEAM = "team"
CHANNEL = "channel"
DEPARTMENT = "department"
DIMENSIONS = (TEAM, CHANNEL)


class Unit(StrEnum):
    """CloudWatch units, spelled as PutMetricData and EMF spell them."""

    COUNT = "Count"
    SECONDS = "Seconds"


# --- event metrics (the clock function, on every case write) ----------------------------------------
INBOUND_MESSAGES = "InboundMessages"  # customer messages stored, by the channel they came on
FIRST_RESPONSE_TIME = "FirstResponseTime"  # seconds from the customer's first unanswered message to the answer
FIRST_RESPONSE_BUSINESS_TIME = "FirstResponseBusinessTime"  # the same, counted while the team is open
NEXT_RESPONSE_TIME = "NextResponseTime"
NEXT_RESPONSE_BUSINESS_TIME = "NextResponseBusinessTime"
RESOLUTION_TIME = "ResolutionTime"  # seconds from the case's opening to its resolution (or closing)
RESOLUTION_BUSINESS_TIME = "ResolutionBusinessTime"
CASES_RESOLVED = "CasesResolved"
CASES_REOPENED = "CasesReopened"
DEPARTMENT_HANDOFFS = "DepartmentHandoffs"  # a case moved to pending_internal: it now waits on a department
TARGET_KINDS = ("first_response", "next_response", "resolution")  # rules.policies.SlaClock values
ESCALATION_TIERS = ("warn", "breach", "second_tier")  # model.escalation.EscalationTier values


def target_met(kind: str) -> str:
    """An answer (or resolution) within its target: ``SlaMet_first_response``..."""
    return f"SlaMet_{kind}"


def target_missed(kind: str) -> str:
    """An answer (or resolution) after its target: ``SlaMissed_first_response``..."""
    return f"SlaMissed_{kind}"


def escalations(tier: str) -> str:
    """A case clock reaching a tier: ``Escalations_warn``, ``Escalations_breach``, ``Escalations_second_tier``."""
    return f"Escalations_{tier}"


# --- open-work metrics (the scheduled publisher, every minute) -----------------------------------------
BACKLOG = "Backlog"  # active cases (open, pending customer, pending internal)
UNANSWERED = "Unanswered"  # active cases whose customer waits for an answer
OLDEST_UNANSWERED_AGE = "OldestUnansweredAge"  # seconds the longest-waiting of them has waited
AT_RISK = "AtRisk"  # waiting cases past their warning, not yet due
IN_BREACH = "InBreach"  # waiting cases past their due time
WAITING_ON_DEPARTMENTS = "WaitingOnDepartments"  # cases in pending_internal
WAITING_ON_DEPARTMENT = "WaitingOnDepartment"  # of those, the ones each department's escalation holds (by department)

# Where the functions' own metrics carry the function as ``service`` (Powertools), the event metrics
# come from the clock function; the outbound function counts failed replies as ``Replies_failed``.
EVENT_METRICS_SERVICE = "clock"
OUTBOUND_SERVICE = "outbound"
OUTBOUND_FAILURES = "Replies_failed"


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One value of one metric: ``dimensions`` as (name, value) pairs in the order of ``DIMENSIONS``."""

    name: str
    value: float
    unit: Unit = Unit.COUNT
    dimensions: tuple[tuple[str, str], ...] = ()

    def dimension(self, name: str) -> str | None:
        return next((value for key, value in self.dimensions if key == name), None)
