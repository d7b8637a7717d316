"""Automated messages and the messages a crisis holds, on DynamoDB (the ``AutomatedStore`` and
``HeldMessages`` ports).

- An automated message's entry is a conditional Put (``attribute_not_exists``): its id is
  deterministic, so a second run of the same task writes nothing. One a crisis holds is written in
  one transaction with its held-message item, ``CRISIS#<crisis id>`` / ``HELD#<case id>#<entry id>``
  (``state`` held, released or discarded, ``decided_by``, ``decided_at_ms``, and what review needs:
  purpose, channel, account, text, ``held_at_ms``).
- A person's decision is one transaction: the held item (conditioned on ``state = held``), the entry
  (conditioned on ``delivery_state = held``: back to pending, or discarded) and the audit record.
- The customer's latest message on a channel is read from the case's thread, newest first; the
  case's place in its queue is a ``Select=COUNT`` Query of each of the queue index's shards, bounded
  by ``Limit`` to what is left to count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.audit_store import audit_item
from socialcare.aws.entry_items import entry_item, item_to_entry
from socialcare.aws.items import item_key, n, s
from socialcare.aws.paging import ListQuery, conditional_put, query_page
from socialcare.aws.wiring import lazy_client
from socialcare.errors import HeldMessageDecided
from socialcare.model.audit import AuditRecord
from socialcare.model.case import EntryKind, ThreadEntry
from socialcare.model.crisis import HeldMessage, HeldState
from socialcare.model.events import Channel, DeliveryState
from socialcare.ports import Page, Position

THREAD_PAGE = 25
MAX_THREAD_PAGES = 8  # the latest message on a channel is near the end of a thread; 200 entries is plenty


class AutomatedStore:
    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    # ---- the outbound side -------------------------------------------------------------------
    def latest_inbound(self, case_id: str, channel: Channel) -> ThreadEntry | None:
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :msg)",
            "ExpressionAttributeNames": {"#pk": c.PARTITION_KEY, "#sk": c.SORT_KEY},
            "ExpressionAttributeValues": {":pk": s(keys.case_pk(case_id)), ":msg": s(keys.ENTRY_PREFIX)},
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "Limit": THREAD_PAGE,
        }
        for _ in range(MAX_THREAD_PAGES):
            resp = self._client().query(**params)
            for item in resp.get("Items", []):
                if item["kind"]["S"] == EntryKind.INBOUND and item.get("channel", {}).get("S") == channel:
                    return item_to_entry(item)
            if "LastEvaluatedKey" not in resp:
                return None
            params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return None

    def add_automated(self, entry: ThreadEntry, held: HeldMessage | None) -> bool:
        put = conditional_put(self._table, entry_item(entry), "attribute_not_exists(#pk)")
        try:
            if held is None:
                self._client().put_item(**put["Put"])
            else:
                held_put = conditional_put(self._table, held_item(held), "attribute_not_exists(#pk)")
                self._client().transact_write_items(TransactItems=[put, held_put])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "ConditionalCheckFailedException",
                "TransactionCanceledException",
            ):
                return False
            raise
        return True

    def cases_ahead(self, team: str, due_ms: int | None, case_id: str, *, limit: int) -> int:
        """Counted shard by shard (``Select=COUNT``, each Query limited to what is left to count), so
        the count reads at most ``limit`` items however long the queue."""
        mine = keys.due_sort_key(due_ms, case_id)
        counted = 0
        for partition in keys.queue_pks(team):
            if counted >= limit:
                break
            resp = self._client().query(
                TableName=self._table,
                IndexName=c.QUEUE_INDEX,
                KeyConditionExpression="#qpk = :q AND #qsk < :mine",
                ExpressionAttributeNames={"#qpk": c.QUEUE_INDEX_PK, "#qsk": c.QUEUE_INDEX_SK},
                ExpressionAttributeValues={":q": s(partition), ":mine": s(mine)},
                Select="COUNT",
                Limit=limit - counted,
            )
            counted += int(resp.get("Count", 0))
        return min(counted, limit)

    # ---- review ------------------------------------------------------------------------------
    def held_messages(self, crisis_id: str, *, limit: int, start: Position | None) -> Page[HeldMessage]:
        query = ListQuery(keys.crisis_pk(crisis_id), sort_prefix=keys.HELD_PREFIX)
        return query_page(self._client(), self._table, query, limit=limit, start=start, convert=item_to_held)

    def held_message(self, crisis_id: str, case_id: str, entry_id: str) -> HeldMessage | None:
        key = item_key(keys.crisis_pk(crisis_id), keys.held_sk(case_id, entry_id))
        item = self._client().get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return None if item is None else item_to_held(item)

    def decide_held(self, decided: HeldMessage, audit: AuditRecord) -> None:
        released = decided.state is HeldState.RELEASED
        state = DeliveryState.PENDING if released else DeliveryState.DISCARDED
        held_update = self._update(
            item_key(keys.crisis_pk(decided.crisis_id), keys.held_sk(decided.case_id, decided.entry_id)),
            "SET #state = :state, decided_by = :by, decided_at_ms = :at",
            "#state = :held",
            {":state": s(decided.state), ":held": s(HeldState.HELD), **_decision_values(decided)},
            {"#state": "state"},
        )
        entry_update = self._update(
            item_key(keys.case_pk(decided.case_id), keys.ENTRY_PREFIX + decided.entry_id),
            "SET delivery_state = :ds, delivery_rank = :rank, delivery_state_at_ms = :at, extra.#decision = :by",
            "delivery_state = :held",
            {
                ":ds": s(state),
                ":rank": n(state.rank),
                ":held": s(DeliveryState.HELD),
                **_decision_values(decided),
            },
            {"#decision": "released_by" if released else "discarded_by"},
        )
        audit_put = conditional_put(self._table, audit_item(audit), "attribute_not_exists(#pk)")
        try:
            self._client().transact_write_items(TransactItems=[held_update, entry_update, audit_put])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            raise HeldMessageDecided(
                f"the message {decided.entry_id} of case {decided.case_id} is no longer held; someone decided first"
            ) from exc

    def _update(
        self, key: Mapping[str, Any], update: str, condition: str, values: dict[str, Any], names: dict[str, str]
    ) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": dict(key),
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }


def _decision_values(decided: HeldMessage) -> dict[str, Any]:
    assert decided.decided_by is not None
    assert decided.decided_at_ms is not None
    return {":by": s(decided.decided_by), ":at": n(decided.decided_at_ms)}


def held_item(held: HeldMessage) -> dict[str, Any]:
    item: dict[str, Any] = {
        **item_key(keys.crisis_pk(held.crisis_id), keys.held_sk(held.case_id, held.entry_id)),
        "entity": s("held_message"),
        "crisis_id": s(held.crisis_id),
        "case_id": s(held.case_id),
        "entry_id": s(held.entry_id),
        "purpose": s(held.purpose),
        "channel": s(held.channel),
        "account_id": s(held.account_id),
        "text": s(held.text),
        "held_at_ms": n(held.held_at_ms),
        "state": s(held.state),
    }
    if held.decided_by is not None and held.decided_at_ms is not None:
        item["decided_by"] = s(held.decided_by)
        item["decided_at_ms"] = n(held.decided_at_ms)
    return item


def item_to_held(item: Mapping[str, Any]) -> HeldMessage:
    return HeldMessage(
        crisis_id=str(item["crisis_id"]["S"]),
        case_id=str(item["case_id"]["S"]),
        entry_id=str(item["entry_id"]["S"]),
        purpose=str(item["purpose"]["S"]),
        channel=Channel(item["channel"]["S"]),
        account_id=str(item["account_id"]["S"]),
        text=str(item["text"]["S"]),
        held_at_ms=int(item["held_at_ms"]["N"]),
        state=HeldState(item["state"]["S"]),
        decided_by=str(item["decided_by"]["S"]) if "decided_by" in item else None,
        decided_at_ms=int(item["decided_at_ms"]["N"]) if "decided_at_ms" in item else None,
    )
