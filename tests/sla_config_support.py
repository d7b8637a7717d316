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
