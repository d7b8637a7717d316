"""DynamoDB for what agents do (the ``AgentRepository`` port): one object made of the units that do it.

- case reads: ``agent_queries.CaseReads`` (the case, its thread, an entry, a delivery state);
- lists: ``agent_queries.AgentQueries`` (team queue, finished cases, own cases — Query on indexes,
  never Scan);
- the audit trail: ``audit_store``; idempotency markers: ``marker_store``; profiles: ``profile_store``;
- a case's department escalations: ``escalation_store``;
- each action stored whole in one transaction: ``agent_commit``.
"""

from __future__ import annotations

from socialcare.aws.agent_commit import AgentCommitter
from socialcare.aws.agent_queries import AgentQueries, CaseReads
from socialcare.aws.audit_store import AuditStore
from socialcare.aws.escalation_store import EscalationStore
from socialcare.aws.marker_store import MarkerStore
from socialcare.aws.profile_store import ProfileStore


class AgentStore(CaseReads, AgentQueries, AuditStore, MarkerStore, ProfileStore, EscalationStore, AgentCommitter):
    """``AgentStore(table_name, client=..., case_store=...)``: every unit on one table and client."""
