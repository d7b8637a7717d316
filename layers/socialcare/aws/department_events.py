"""The ``DepartmentNotifier`` on EventBridge: a department's request becomes an event on the project's bus.

Source ``socialcare``, detail-type ``Department request``; the detail holds the department, its contacts,
the agent's question and the signed answer link — never the customer's messages or the callback token.
Rules on the bus deliver it to the contacts (e-mail, SMS, chat); the local stack logs it.
"""

from __future__ import annotations

import json
from typing import Any

from socialcare.aws.lead_events import put_event
from socialcare.aws.wiring import lazy_client
from socialcare.model.department_escalation import DEPARTMENT_REQUEST
from socialcare.model.escalation import EVENT_SOURCE, instant_text
from socialcare.ports import DepartmentRequestNotice


class EventBusDepartmentNotifier:
    def __init__(self, bus_name: str, *, client: Any | None = None) -> None:
        self._bus = bus_name
        self._client = lazy_client("events", client)

    def department_request(self, notice: DepartmentRequestNotice) -> None:
        detail = {
            "case_id": notice.case_id,
            "escalation_id": notice.escalation_id,
            "department": notice.department_id,
            "department_name": notice.department_name,
            "contacts": [dict(contact) for contact in notice.contacts],
            "question": notice.question,
            "asked_by": notice.asked_by_name,
            "round": notice.round,
            "link": notice.link,
            "link_expires_at": instant_text(notice.link_expires_at_ms),
        }
        entry = {
            "EventBusName": self._bus,
            "Source": EVENT_SOURCE,
            "DetailType": DEPARTMENT_REQUEST,
            "Resources": [],
            "Detail": json.dumps(detail, ensure_ascii=False, separators=(",", ":")),
        }
        put_event(self._client(), entry)
