"""The project's EventBridge bus: where the case clock announces escalations (``SLA warning``,
``SLA breached``, ``SLA escalated``, source ``socialcare``). Rules that route them to people (SNS
e-mail/SMS, a chat webhook) attach in components/notifications.py."""

from __future__ import annotations

from aws_cdk import aws_events as events
from constructs import Construct

from socialcare_infra.names import ResourceNames


class EventBus(Construct):
    def __init__(self, scope: Construct, id: str, *, names: ResourceNames) -> None:
        super().__init__(scope, id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=names.event_bus)
