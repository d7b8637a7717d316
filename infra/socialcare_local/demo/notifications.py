"""The notifications as the stack logged them: one JSON line per event on the project's bus (logger
``socialcare_local.notifications``, see ``emulator.case_clock``) — the case clocks' tiers and ingest's
``Sensitive case`` notices — read back from the demo's log file for the checks and the summary: what
an operator tailing the log would see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from socialcare_local.emulator.case_clock import notifications_log

NOTIFICATIONS_LOGGER = notifications_log.name
# Whom each tier addresses, as the summary says it (the log's "for").
RECIPIENT_LABELS = {"assignee": "assignee", "team_lead": "team lead", "manager": "manager"}


@dataclass(frozen=True)
class Notification:
    """One logged notification: its tier and recipient, the case, and when (epoch ms)."""

    tier: str  # warn, breach, second_tier ("" for a notice that is not a case clock's: a sensitive case)
    recipient: str  # assignee, team_lead, manager
    case_id: str
    owner: str  # "" when the case was unassigned
    team: str
    due_at_ms: int | None  # the breach of the wait it belongs to
    tier_at_ms: int | None  # when the tier fell due
    logged_at_ms: int | None  # when the stack logged it (the event had crossed the bus and the queue)
    detail_type: str = ""  # "SLA warning", "SLA breached", "SLA escalated", "Sensitive case"

    @property
    def is_case_clock(self) -> bool:
        return bool(self.tier)

    @property
    def recipient_label(self) -> str:
        return RECIPIENT_LABELS.get(self.recipient, self.recipient)


def parse_notifications(log_text: str) -> list[Notification]:
    """Every notification line of a JSON-lines log (case clocks' and others'), in the order they were logged."""
    found = []
    for line in log_text.splitlines():
        if NOTIFICATIONS_LOGGER not in line:
            continue
        try:
            doc = json.loads(line)
        except ValueError:
            continue  # a line cut short while being written
        if doc.get("logger") != NOTIFICATIONS_LOGGER or doc.get("message") != "notification":
            continue
        found.append(
            Notification(
                tier=str(doc.get("tier", "")),
                recipient=str(doc.get("for", "")),
                case_id=str(doc.get("case_id", "")),
                owner=str(doc.get("owner", "")),
                team=str(doc.get("team", "")),
                due_at_ms=epoch_ms(doc.get("due_at")),
                tier_at_ms=epoch_ms(doc.get("tier_at")),
                logged_at_ms=epoch_ms(doc.get("timestamp")),
                detail_type=str(doc.get("detail_type", "")),
            )
        )
    return found


def epoch_ms(value: object) -> int | None:
    """An ISO 8601 UTC time ("2026-01-05T08:00:00Z", with or without milliseconds) as epoch ms."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return round(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None
