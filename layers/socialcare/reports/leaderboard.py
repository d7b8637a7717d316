"""A leaderboard that does not reward speed alone.

The classic contact-centre board ranks whoever answers in 20 seconds and is done in 2 minutes. On
social channels that is the wrong goal by itself: the answer that takes time to find a real fix, and
stays fixed, is worth more than the quick one that comes back. So the score is a balance of four
components, each between 0 and 1, each shown with what it was computed from:

============  ======  ========================================================================
component     weight  value
============  ======  ========================================================================
sla_kept      0.40    targets kept of targets judged (first and next responses, resolutions)
quality       0.30    resolutions that did not come back: (resolved - reopened) of resolved
escalations   0.15    cases handled without a breach or second-tier escalation
volume        0.15    cases handled, relative to the busiest agent of the period
============  ======  ========================================================================

The three rates use Laplace's rule of succession — one success and one failure assumed before the
first case, ``(good + 1) / (total + 2)`` — so an agent with a single lucky case does not outrank one
with forty good ones, and an agent with nothing in a component gets the neutral 0.5. The score is
``100 × Σ weight × value`` (0-100). Speed counts only through the targets: answering in 20 seconds
instead of 50 minutes earns nothing more when the target is an hour. The median first-response time
is shown beside the score, not scored. CSAT, once collected, belongs in ``quality``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from socialcare.reports.stats import laplace, seconds

WEIGHTS: Mapping[str, float] = {"sla_kept": 0.40, "quality": 0.30, "escalations": 0.15, "volume": 0.15}
METHOD = (
    "score = 100 x (0.40 sla_kept + 0.30 quality + 0.15 escalations + 0.15 volume); rates are "
    "(good + 1) / (total + 2); volume = cases handled / most cases handled by one agent; speed is shown, not scored"
)


@dataclass(frozen=True, slots=True)
class AgentFigures:
    handled: int
    judged: int  # SLA targets judged
    met: int  # of which kept
    resolved: int
    reopened: int
    escalated: int  # breach and second-tier tiers reached
    first_response_p50_ms: int | None = None


def leaderboard(agents: Mapping[str, AgentFigures]) -> dict[str, Any]:
    busiest = max((figures.handled for figures in agents.values()), default=0)
    entries = [_entry(agent, figures, busiest) for agent, figures in agents.items()]
    entries.sort(key=lambda entry: (-entry["score"], entry["agent"]))
    for rank, entry in enumerate(entries, start=1):
        entry["rank"] = rank
    return {"weights": dict(WEIGHTS), "method": METHOD, "entries": entries}


def _entry(agent: str, f: AgentFigures, busiest: int) -> dict[str, Any]:
    reopened = min(f.reopened, f.resolved)
    escalated = min(f.escalated, f.handled)
    values = {
        "sla_kept": (laplace(f.met, f.judged), f"{f.met} of {f.judged} targets kept"),
        "quality": (laplace(f.resolved - reopened, f.resolved), f"{f.reopened} reopened of {f.resolved} resolved"),
        "escalations": (
            laplace(f.handled - escalated, f.handled),
            f"{f.escalated} breaches or escalations over {f.handled} cases",
        ),
        "volume": (f.handled / busiest if busiest else 0.0, f"{f.handled} cases handled (most: {busiest})"),
    }
    components = {
        name: {
            "value": round(value, 3),
            "weight": WEIGHTS[name],
            "points": round(100 * WEIGHTS[name] * value, 1),
            "basis": basis,
        }
        for name, (value, basis) in values.items()
    }
    score = round(100 * sum(WEIGHTS[name] * value for name, (value, _) in values.items()), 1)
    return {
        "rank": 0,
        "agent": agent,
        "score": score,
        "components": components,
        "shown_not_scored": {"first_response_wall_p50_s": seconds(f.first_response_p50_ms), "csat": "not collected"},
    }
