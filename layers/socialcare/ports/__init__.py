"""The ports: what the core needs from storage, queues, secrets and time, as Protocols.

The services (webhook, ingest, outbound, agents, ...) are typed on these, never on an adapter. Each
port has a DynamoDB/SQS/S3/Secrets Manager adapter in ``socialcare.aws`` and an in-memory twin in
``socialcare.memory``; ``tests/contract`` runs the same tests against both, so the twins keep the
adapters' semantics (conditional writes, dedup, version conflicts, the exceptions raised).

The ports are kept by side, one module each: ``pipeline`` (webhook → ingest → outbound), ``surges``,
``agents`` (the agent API's services), ``workflows`` (case clocks, follow-ups, department escalations,
automated messages), ``config`` and ``reports`` (metrics and reports). Every name is re-exported here:
``from socialcare.ports import X`` is how the services and adapters import them. A module of the
package imports its siblings, never the package (that would be an import cycle).
"""

from __future__ import annotations

from typing import TypeAlias

from socialcare import clock
from socialcare.ports.agents import (
    AgentCaseReads,
    AgentChange,
    AgentCommit,
    AgentQueues,
    AgentReplyQueue,
    AgentRepository,
    AuditTrail,
    BrandProfiles,
    EscalationReads,
    EscalationWrite,
    IdempotencyMarker,
    IdempotencyMarkers,
    ItemT,
    Page,
    Position,
)
from socialcare.ports.config import ConfigReader, ConfigRepository, SlaConfigDocuments
from socialcare.ports.pipeline import (
    CaseReader,
    CaseRepository,
    CommentModeration,
    Credentials,
    DeliveryQueue,
    LeadNotifier,
    MessageCommit,
    OutboundQueue,
    OutboundRepository,
    RawArchive,
    RawStore,
    TaskQueue,
)
from socialcare.ports.reports import DayFactStore, MetricSink, OpenCases, OpenWork, ReportArchive, ReportReads
from socialcare.ports.surges import SurgeAlerts, SurgeCounter, SurgeWindows
from socialcare.ports.workflows import (
    AutomatedStore,
    CaseClocks,
    CaseStatusWriter,
    DeliverNow,
    DepartmentCallbacks,
    DepartmentNotifier,
    DepartmentRequestNotice,
    DepartmentWorkflows,
    DueClockPage,
    DueClocks,
    EscalationTokens,
    FollowUps,
    HeldMessages,
    ProfileReader,
)

Clock: TypeAlias = clock.Clock
"""The clock is a port too: epoch milliseconds, injected (``socialcare.clock``)."""

__all__ = [
    "AgentCaseReads",
    "AgentChange",
    "AgentCommit",
    "AgentQueues",
    "AgentReplyQueue",
    "AgentRepository",
    "AuditTrail",
    "AutomatedStore",
    "BrandProfiles",
    "CaseClocks",
    "CaseReader",
    "CaseRepository",
    "CaseStatusWriter",
    "Clock",
    "CommentModeration",
    "ConfigReader",
    "ConfigRepository",
    "Credentials",
    "DayFactStore",
    "DeliverNow",
    "DeliveryQueue",
    "DepartmentCallbacks",
    "DepartmentNotifier",
    "DepartmentRequestNotice",
    "DepartmentWorkflows",
    "DueClockPage",
    "DueClocks",
    "EscalationReads",
    "EscalationTokens",
    "EscalationWrite",
    "FollowUps",
    "HeldMessages",
    "IdempotencyMarker",
    "IdempotencyMarkers",
    "ItemT",
    "LeadNotifier",
    "MessageCommit",
    "MetricSink",
    "OpenCases",
    "OpenWork",
    "OutboundQueue",
    "OutboundRepository",
    "Page",
    "Position",
    "ProfileReader",
    "RawArchive",
    "RawStore",
    "ReportArchive",
    "ReportReads",
    "SlaConfigDocuments",
    "SurgeAlerts",
    "SurgeCounter",
    "SurgeWindows",
    "TaskQueue",
]
