"""The ``LeadNotifier`` and ``SurgeAlerts`` on EventBridge: events on the project's bus for the leads.

Source ``socialcare`` (as the case clock's events); detail-type ``Sensitive case`` (the case id,
categories, team and priority) or ``Surge detected`` (the topic or account, the count, the baseline,
example case ids) — never a message's text. Rules on the bus route them to the leads (the local
stack puts them on its notifications queue).
"""

from __future__ import annotations

import json
from typing import Any

from socialcare.aws.wiring import lazy_client
from socialcare.errors import NotificationFailed
from socialcare.model.escalation import EVENT_SOURCE
from socialcare.model.notices import SENSITIVE_CASE, SURGE_DETECTED, SensitiveCaseNotice, SurgeNotice


class EventBusNotifier:
    def __init__(self, bus_name: str, *, client: Any | None = None) -> None:
        self._bus = bus_name
        self._client = lazy_client("events", client)

    def sensitive_case(self, notice: SensitiveCaseNotice) -> None:
        self._put(SENSITIVE_CASE, notice.detail())

    def surge_detected(self, notice: SurgeNotice) -> None:
        self._put(SURGE_DETECTED, notice.detail())

    def _put(self, detail_type: str, detail: dict[str, object]) -> None:
        entry = {
            "EventBusName": self._bus,
            "Source": EVENT_SOURCE,
            "DetailType": detail_type,
            "Resources": [],
            "Detail": json.dumps(detail, separators=(",", ":")),
        }
        put_event(self._client(), entry)


def put_event(client: Any, entry: dict[str, Any]) -> None:
    """Put one event; ``NotificationFailed`` with the bus's reason when it refuses the entry."""
    response = client.put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        failed = response["Entries"][0]
        raise NotificationFailed(f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
