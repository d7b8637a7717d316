"""The care floor's and the accountability dashboards, as plain data read by two renderers.

``socialcare_infra.components.monitoring`` deploys each ``Dashboard`` as a CloudWatch dashboard
(``socialcare-<key>-<stage>``); ``socialcare dashboard`` (``socialcare_local.dashboard``) draws the
care floor from the local stack's CloudWatch emulation. Neither has widgets of its own, so the two
cannot drift. Plain data only: no CDK here, so the local renderer never loads it.

A ``Series`` is one metric and statistic, split into one line per value of ``by`` (``team`` or
``channel``), or the total when ``by`` is ``None``; ``service`` names the function whose EMF lines
carry it (the event metrics: ``clock``), ``None`` for the open-work publisher's. The metrics and
their dimensions are described in ``socialcare.model.metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.model import metrics as m

TEAM, CHANNEL = m.TEAM, m.CHANNEL
EVENTS = m.EVENT_METRICS_SERVICE


@dataclass(frozen=True)
class Series:
    metric: str
    stat: str = "Maximum"
    by: str | None = None
    service: str | None = None
    label: str = ""

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """The metric's dimension names, sorted as CloudWatch's SEARCH schema lists them."""
        return tuple(sorted(name for name in (self.by, "service" if self.service else None) if name))

    @property
    def title(self) -> str:
        return self.label or f"{self.metric} {self.stat}"


@dataclass(frozen=True)
class Attainment:
    """The share of answers (or resolutions) within their target: 100 × met / (met + missed)."""

    kind: str  # first_response, next_response, resolution
    label: str

    @property
    def met(self) -> Series:
        return Series(m.target_met(self.kind), "Sum", service=EVENTS)

    @property
    def missed(self) -> Series:
        return Series(m.target_missed(self.kind), "Sum", service=EVENTS)

    @property
    def title(self) -> str:
        return self.label


@dataclass(frozen=True)
class Widget:
    title: str
    series: tuple[Series | Attainment, ...]
    unit: str  # what the left axis counts
    period_s: int = 60


@dataclass(frozen=True)
class Dashboard:
    key: str  # in its name: socialcare-<key>-<stage>
    title: str
    widgets: tuple[Widget, ...]


def _times(metric: str, business: str, by: str | None, stat: str) -> tuple[Series, ...]:
    return (
        Series(metric, stat, by=by, service=EVENTS, label=f"wall {stat}"),
        Series(business, stat, by=by, service=EVENTS, label=f"business {stat}"),
    )


CARE_FLOOR = Dashboard(
    key="care-floor",
    title="socialcare care floor: the work now",
    widgets=(
        Widget("Backlog by team", (Series(m.BACKLOG, by=TEAM),), "cases"),
        Widget("Backlog by channel", (Series(m.BACKLOG, by=CHANNEL),), "cases"),
        Widget("In breach by team", (Series(m.IN_BREACH, by=TEAM),), "cases"),
        Widget("At risk by team", (Series(m.AT_RISK, by=TEAM),), "cases"),
        Widget("Oldest unanswered by team", (Series(m.OLDEST_UNANSWERED_AGE, by=TEAM),), "seconds"),
        Widget("Waiting for an answer by team", (Series(m.UNANSWERED, by=TEAM),), "cases"),
        Widget("Waiting on departments by team", (Series(m.WAITING_ON_DEPARTMENTS, by=TEAM),), "cases"),
        Widget(
            "First response time by team",
            _times(m.FIRST_RESPONSE_TIME, m.FIRST_RESPONSE_BUSINESS_TIME, TEAM, "Average"),
            "seconds",
        ),
        Widget(
            "Next response time by team",
            _times(m.NEXT_RESPONSE_TIME, m.NEXT_RESPONSE_BUSINESS_TIME, TEAM, "Average"),
            "seconds",
        ),
        Widget("Messages in by channel", (Series(m.INBOUND_MESSAGES, "Sum", by=CHANNEL, service=EVENTS),), "messages"),
    ),
)

HOUR_S = 3600

ACCOUNTABILITY = Dashboard(
    key="accountability",
    title="socialcare accountability: targets kept, how fast, what came back",
    widgets=(
        Widget(
            "SLA attainment",
            (
                Attainment("first_response", "first response"),
                Attainment("next_response", "next response"),
                Attainment("resolution", "resolution"),
            ),
            "% within target",
            HOUR_S,
        ),
        Widget(
            "First response time p50 / p90",
            (
                *_times(m.FIRST_RESPONSE_TIME, m.FIRST_RESPONSE_BUSINESS_TIME, None, "p50"),
                *_times(m.FIRST_RESPONSE_TIME, m.FIRST_RESPONSE_BUSINESS_TIME, None, "p90"),
            ),
            "seconds",
            HOUR_S,
        ),
        Widget(
            "Resolution time p50 / p90",
            (
                *_times(m.RESOLUTION_TIME, m.RESOLUTION_BUSINESS_TIME, None, "p50"),
                *_times(m.RESOLUTION_TIME, m.RESOLUTION_BUSINESS_TIME, None, "p90"),
            ),
            "seconds",
            HOUR_S,
        ),
        Widget("Cases resolved by team", (Series(m.CASES_RESOLVED, "Sum", by=TEAM, service=EVENTS),), "cases", HOUR_S),
        Widget("Reopenings by team", (Series(m.CASES_REOPENED, "Sum", by=TEAM, service=EVENTS),), "cases", HOUR_S),
        Widget(
            "Escalations by tier",
            tuple(
                Series(m.escalations(tier), "Sum", service=EVENTS, label=tier.replace("_", " "))
                for tier in m.ESCALATION_TIERS
            ),
            "cases",
            HOUR_S,
        ),
        Widget(
            "Hand-offs to departments by team",
            (Series(m.DEPARTMENT_HANDOFFS, "Sum", by=TEAM, service=EVENTS),),
            "cases",
            HOUR_S,
        ),
        Widget(
            "Outbound failures",
            (Series(m.OUTBOUND_FAILURES, "Sum", service=m.OUTBOUND_SERVICE, label="replies failed"),),
            "replies",
            HOUR_S,
        ),
    ),
)

DASHBOARDS = (CARE_FLOOR, ACCOUNTABILITY)
