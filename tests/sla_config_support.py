"""Configuration documents the SLA admin and SLA view tests share: a Berlin office calendar, a 24/7
one, a policy set on them and a department."""

from __future__ import annotations

from typing import Any

BERLIN: dict[str, Any] = {
    "name": "berlin-office",
    "time_zone": "Europe/Berlin",
    "hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "DE", "subdivision": "BE"},
}
ALWAYS: dict[str, Any] = {"name": "always", "time_zone": "UTC", "always_open": True}
POLICIES: dict[str, Any] = {
    "policies": [
        {
            "name": "default",
            "calendar": "berlin-office",
            "match": {},
            "targets_minutes": {"first_response": 60, "next_response": 120, "resolution": 2880},
        },
        {
            "name": "whatsapp-urgent",
            "calendar": "always",
            "match": {"channel": "whatsapp", "priority": "urgent"},
            "targets_minutes": {"first_response": 15},
        },
    ]
}
BILLING: dict[str, Any] = {
    "name": "Billing",
    "contacts": [
        {"name": "Billing desk", "email": "billing@acme.example", "chat_webhook_url": "https://chat.acme.example/b"}
    ],
    "manager": {"name": "Mia Manager", "phone": "+493012345678"},
}


def store_office_policies(table_name: str, dynamodb: Any, *, at_ms: int) -> None:
    """The Berlin office and 24/7 calendars and the policy set on them, stored as an admin stores them
    through the agent API (the SLA service on DynamoDB)."""
    from socialcare.agents.identity import Caller, Role
    from socialcare.agents.sla_service import SlaService
    from socialcare.aws.agent_store import AgentStore
    from socialcare.aws.config_store import ConfigStore
    from socialcare.clock import ManualClock

    admin = Caller("root", Role.ADMIN, frozenset(), "Root")
    service = SlaService(
        ConfigStore(table_name, client=dynamodb), AgentStore(table_name, client=dynamodb), clock=ManualClock(at_ms)
    )
    service.put_calendar(admin, "berlin-office", BERLIN, expected_version=None)
    service.put_calendar(admin, "always", ALWAYS, expected_version=None)
    service.put_policies(admin, POLICIES, expected_version=None)
