"""Idempotency markers on DynamoDB: ``CASE#<id>`` / ``IDEMP#<agent>#<key>``, expired by TTL.

A marker is written by the action's own transaction (``agent_commit``) and never again; here it is
read back (expiry checked, as TTL deletes lazily).
"""

from __future__ import annotations

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.agent_table import AgentTable
from socialcare.aws.items import Item, item_key, n, s
from socialcare.ports import IdempotencyMarker


class MarkerStore(AgentTable):
    def marker(self, case_id: str, agent_id: str, key: str, *, now_ms: int) -> IdempotencyMarker | None:
        """The key's marker, unless it has expired (TTL deletes lazily, so expiry is checked here)."""
        resp = self._client().get_item(
            TableName=self._table,
            Key=item_key(keys.case_pk(case_id), keys.idempotency_sk(agent_id, key)),
            ConsistentRead=True,
        )
        item = resp.get("Item")
        if item is None or int(item[c.TTL_ATTRIBUTE]["N"]) * 1000 <= now_ms:
            return None
        return IdempotencyMarker(
            case_id=case_id,
            agent_id=agent_id,
            key=key,
            fingerprint=item["fingerprint"]["S"],
            entry_id=item["entry_id"]["S"],
            created_at_ms=int(item["created_at_ms"]["N"]),
            expires_at_s=int(item[c.TTL_ATTRIBUTE]["N"]),
            request_json=item["request"]["S"] if "request" in item else None,
        )


def marker_item(marker: IdempotencyMarker) -> Item:
    item: Item = {
        c.PARTITION_KEY: s(keys.case_pk(marker.case_id)),
        c.SORT_KEY: s(keys.idempotency_sk(marker.agent_id, marker.key)),
        "entity": s("idempotency"),
        "fingerprint": s(marker.fingerprint),
        "entry_id": s(marker.entry_id),
        "created_at_ms": n(marker.created_at_ms),
        c.TTL_ATTRIBUTE: n(marker.expires_at_s),
    }
    if marker.request_json is not None:
        item["request"] = s(marker.request_json)
    return item
