"""Cases as the tests start them: open, of normal priority, in the care team's queue."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from socialcare.model.case import Case, CaseStatus, Priority
from socialcare.model.events import Channel, Customer


def care_case(case_id: str, channel: Channel, account_id: str, customer: Customer, at_ms: int, **fields: Any) -> Case:
    """An open, normal-priority case of the care team, opened at ``at_ms`` on ``channel``; ``fields`` change it."""
    case = Case(
        case_id=case_id,
        platform=channel.platform,
        account_id=account_id,
        customer=customer,
        status=CaseStatus.OPEN,
        priority=Priority.NORMAL,
        team="care",
        created_at_ms=at_ms,
        updated_at_ms=at_ms,
        channels=frozenset({channel}),
    )
    return replace(case, **fields)
