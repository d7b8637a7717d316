"""What a lead is told at once — a sensitive case, a surge: names, ids and counts, never a message's text."""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.model.escalation import instant_text

# EventBridge detail-type of the notice that a case is sensitive (source: ``escalation.EVENT_SOURCE``).
SENSITIVE_CASE = "Sensitive case"


@dataclass(frozen=True, slots=True)
class SensitiveCaseNotice:
    """A case was found sensitive (it opened so, or a new message made it so)."""

    case_id: str
    categories: tuple[str, ...]  # self_harm, abuse, child_abuse, bereavement
    team: str
    priority: str
    platform: str
    account_id: str
    opened: bool  # True: the message opened the case; False: it joined an existing case

    def detail(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "categories": list(self.categories),
            "team": self.team,
            "priority": self.priority,
            "platform": self.platform,
            "account_id": self.account_id,
            "opened": self.opened,
        }


# EventBridge detail-type of the notice that a topic or brand account surged (source: ``escalation.EVENT_SOURCE``).
SURGE_DETECTED = "Surge detected"


@dataclass(frozen=True, slots=True)
class SurgeNotice:
    """More messages on a topic or brand account in one bucket than its recent baseline explains."""

    scope: str  # "topic" or "account"
    name: str  # the topic (a routing tag or keyword topic) or the brand account id
    window_start_ms: int
    window_minutes: int
    window_open: bool  # the bucket is still filling: the count can only grow
    count: int
    baseline: float  # mean messages per bucket over the baseline buckets
    threshold: float  # what the count had to reach: max(min_count, factor x baseline)
    case_ids: tuple[str, ...]  # examples, at most model.surges.MAX_EXAMPLES

    def detail(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            ("topic" if self.scope == "topic" else "account_id"): self.name,
            "window_start": instant_text(self.window_start_ms),
            "window_minutes": self.window_minutes,
            "window_open": self.window_open,
            "count": self.count,
            "baseline": round(self.baseline, 2),
            "threshold": round(self.threshold, 2),
            "case_ids": list(self.case_ids),
        }
