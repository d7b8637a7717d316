"""A case's audit trail on DynamoDB: records under the case's partition, ordered by the case version
each action made (``AUDIT#<version>#<record id>``); a brand account's records by time, and those of
configuration changes (``subject``) by time under ``CONFIG#audit``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.agent_table import AgentTable
from socialcare.aws.items import Item, n, s
from socialcare.aws.paging import ListQuery, query_page
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.ports import Page, Position


class AuditStore(AgentTable):
    def audit_trail(self, case_id: str, *, limit: int, start: Position | None) -> Page[AuditRecord]:
        """A case's audit records, oldest first."""
        query = ListQuery(keys.case_pk(case_id), sort_prefix=keys.AUDIT_PREFIX)
        return query_page(self._client(), self._table, query, limit=limit, start=start, convert=item_to_audit)

    def acted_since(self, case_id: str, version: int) -> bool:
        """Whether anyone acted on the case after ``version`` (an audit record of a later version)."""
        resp = self._client().query(
            TableName=self._table,
            KeyConditionExpression="#pk = :pk AND #sk > :after",
            ExpressionAttributeNames={"#pk": c.PARTITION_KEY, "#sk": c.SORT_KEY},
            ExpressionAttributeValues={
                ":pk": s(keys.case_pk(case_id)),
                ":after": s(f"{keys.AUDIT_PREFIX}{version:013d}#~"),  # every record of a later version sorts after
            },
            ConsistentRead=True,
            Limit=1,
        )
        return any(str(item[c.SORT_KEY]["S"]).startswith(keys.AUDIT_PREFIX) for item in resp.get("Items", []))


def audit_item(record: AuditRecord) -> Item:
    if record.case_id is not None:
        pk = keys.case_pk(record.case_id)
    elif record.account_id is not None:
        pk = keys.account_pk(record.account_id)
    elif record.subject is not None:
        pk = keys.CONFIG_AUDIT_PK
    else:  # pragma: no cover - a programming error
        raise ValueError("an audit record needs a case, an account or a subject")
    item: Item = {
        c.PARTITION_KEY: s(pk),
        c.SORT_KEY: s(
            keys.audit_sk(record.case_version if record.case_version is not None else record.at_ms, record.record_id)
        ),
        "entity": s("audit"),
        "record_id": s(record.record_id),
        "at_ms": n(record.at_ms),
        "actor": s(record.actor),
        "actor_role": s(record.actor_role),
        "action": s(record.action.value),
    }
    if record.case_version is not None:
        item["case_version"] = n(record.case_version)
    if record.subject is not None:
        item["subject"] = s(record.subject)
    if record.details:
        item["details"] = {"M": {k: s(v) for k, v in record.details.items()}}
    return item


def item_to_audit(item: Mapping[str, Any]) -> AuditRecord:
    pk = str(item[c.PARTITION_KEY]["S"])
    return AuditRecord(
        record_id=str(item["record_id"]["S"]),
        at_ms=int(item["at_ms"]["N"]),
        actor=str(item["actor"]["S"]),
        actor_role=str(item["actor_role"]["S"]),
        action=AuditAction(item["action"]["S"]),
        case_id=pk.removeprefix("CASE#") if pk.startswith("CASE#") else None,
        account_id=pk.removeprefix("ACCOUNT#") if pk.startswith("ACCOUNT#") else None,
        case_version=int(item["case_version"]["N"]) if "case_version" in item else None,
        subject=str(item["subject"]["S"]) if "subject" in item else None,
        details={k: str(v["S"]) for k, v in item.get("details", {"M": {}})["M"].items()},
    )
