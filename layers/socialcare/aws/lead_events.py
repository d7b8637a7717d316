"""The ``LeadNotifier`` on EventBridge: a sensitive case becomes an event on the project's bus.

Source ``socialcare`` (as the case clock's events), detail-type ``Sensitive case``; the detail holds
the case id, categories, team and priority — never a message's text. Rules on the bus route it to
the leads (the local stack puts it on its notifications queue).
"""

from __future__ import annotations

import json
from typing import Any

from socialcare.aws.wiring import lazy_client
from socialcare.errors import NotificationFailed
from socialcare.model.escalation import EVENT_SOURCE
from socialcare.model.notices import SENSITIVE_CASE, SensitiveCaseNotice


class EventBusNotifier:
    def __init__(self, bus_name: str, *, client: Any | None = None) -> None:
        self._bus = bus_name
        self._client = lazy_client("events", client)

    def sensitive_case(self, notice: SensitiveCaseNotice) -> None:
        entry = {
            "EventBusName": self._bus,
            "Source": EVENT_SOURCE,
            "DetailType": SENSITIVE_CASE,
            "Resources": [],
            "Detail": json.dumps(notice.detail(), separators=(",", ":")),
        }
        put_event(self._client(), entry)


def put_event(client: Any, entry: dict[str, Any]) -> None:
    """Put one event; ``NotificationFailed`` with the bus's reason when it refuses the entry."""
    response = client.put_events(Entries=[entry])
    if response.get("FailedEntryCount"):
        failed = response["Entries"][0]
        raise NotificationFailed(f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
