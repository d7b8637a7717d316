"""What a lead is told at once about a case: names and ids only, never a message's text."""

from __future__ import annotations

from dataclasses import dataclass

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
