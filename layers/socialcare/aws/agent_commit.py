"""One agent action stored whole on DynamoDB: one TransactWriteItems of the case (conditioned on the
version the action was decided on) and its current-case copies, the thread entries it adds, its
audit record, for a request that carries an idempotency key, the key's marker and, for a department
escalation, the escalation it creates, answers or cancels. Either all of it is stored or none of it."""

from __future__ import annotations

from botocore.exceptions import ClientError

from socialcare import constants as c
from socialcare.aws.agent_table import AgentTable
from socialcare.aws.audit_store import audit_item
from socialcare.aws.entry_items import entry_item
from socialcare.aws.escalation_store import escalation_write
from socialcare.aws.items import n
from socialcare.aws.marker_store import marker_item
from socialcare.aws.paging import conditional_put
from socialcare.errors import CaseVersionConflict, EscalationClosed, MarkerExists
from socialcare.ports import AgentChange


class AgentCommitter(AgentTable):
    def commit(self, change: AgentChange, *, now_ms: int) -> None:
        """Store one agent action. CaseVersionConflict when the case moved on since ``change.before``;
        MarkerExists when the idempotency key was used meanwhile; EscalationClosed when its escalation
        is no longer open (or, a new one, exists)."""
        before, after, marker = change.before, change.after, change.marker
        items = self._cases.case_write_items(before, after)
        case_positions = len(items)
        for entry in change.entries:
            items.append(conditional_put(self._table, entry_item(entry), "attribute_not_exists(#pk)"))
        items.append(conditional_put(self._table, audit_item(change.audit), "attribute_not_exists(#pk)"))
        if change.escalation is not None:
            items.append(escalation_write(self._table, change.escalation))
        escalation_at = len(items) - 1 if change.escalation is not None else None
        if marker is not None:
            items.append(
                conditional_put(
                    self._table,
                    marker_item(marker),
                    "attribute_not_exists(#pk) OR #exp <= :now",
                    names={"#exp": c.TTL_ATTRIBUTE},
                    values={":now": n(now_ms // 1000)},
                )
            )
        try:
            self._client().transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            codes = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if marker is not None and len(codes) == len(items) and codes[-1] == "ConditionalCheckFailed":
                raise MarkerExists("the idempotency key was used by a request that finished first") from exc
            if (
                escalation_at is not None
                and len(codes) == len(items)
                and codes[escalation_at] == "ConditionalCheckFailed"
            ):
                raise EscalationClosed("the escalation was answered or closed meanwhile") from exc
            if not codes or "TransactionConflict" in codes or "ConditionalCheckFailed" in codes[:case_positions]:
                raise CaseVersionConflict(
                    f"case {after.case_id} changed since version {before.version}; reload it and try again"
                ) from exc
            raise
