"""DynamoDB access for cases, their threads and the platform-message index.

Every read is a GetItem/BatchGetItem/Query on a key; every write that must agree with
another (message + case + current-case copy + dedup marker) is one TransactWriteItems.
Returns domain objects, raises domain exceptions, never leaks ``ClientError``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.items import (
    REACTION_PREFIX,
    Item,
    case_item,
    current_case_item,
    entry_item,
    item_key,
    item_to_case,
    item_to_entry,
    n,
    s,
)
from socialcare.aws.paging import every_item
from socialcare.aws.wiring import lazy_client
from socialcare.errors import (
    CaseNotFound,
    CaseVersionConflict,
    ConcurrentThreadingConflict,
    DuplicateEvent,
    UnstorableEvent,
)
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.events import DeliveryState, PlatformEvent
from socialcare.model.stored import CurrentCase, MessageRef
from socialcare.ports import MessageCommit

# MessageRef is re-exported: the agent side imports it from here.
__all__ = ["CaseStore", "MessageRef"]

_MAX_UNMATCHED_RAW_BYTES = 64 * 1024


class CaseStore:
    def __init__(self, table_name: str, *, client: Any | None = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    # ---- reads ---------------------------------------------------------------------------
    def current_case(self, account_id: str, user_ids: Sequence[str]) -> CurrentCase:
        """One request: GetItem for one id, BatchGetItem when the platform gives several."""
        found: dict[str, Case] = {}
        if len(user_ids) == 1:
            resp = self._client().get_item(
                TableName=self._table,
                Key=item_key(keys.customer_pk(account_id, user_ids[0]), keys.CURRENT_SK),
                ConsistentRead=True,
            )
            if "Item" in resp:
                found[user_ids[0]] = item_to_case(resp["Item"])
        else:
            wanted = {keys.customer_pk(account_id, uid): uid for uid in user_ids}
            request = {self._table: {"Keys": [item_key(pk, keys.CURRENT_SK) for pk in wanted], "ConsistentRead": True}}
            while request:
                resp = self._client().batch_get_item(RequestItems=request)
                for item in resp.get("Responses", {}).get(self._table, []):
                    found[wanted[item[c.PARTITION_KEY]["S"]]] = item_to_case(item)
                request = resp.get("UnprocessedKeys") or {}
        return CurrentCase.from_copies(user_ids, found)

    def get_case(self, case_id: str) -> Case:
        resp = self._client().get_item(
            TableName=self._table, Key=item_key(keys.case_pk(case_id), keys.CASE_SK), ConsistentRead=True
        )
        if "Item" not in resp:
            raise CaseNotFound(f"no case {case_id}")
        return item_to_case(resp["Item"])

    def thread(self, case_id: str) -> list[ThreadEntry]:
        """The case's thread in platform-timestamp order (the sort key is the timestamp)."""
        return [
            item_to_entry(i)
            for i in self._query(
                KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames={"#pk": c.PARTITION_KEY, "#sk": c.SORT_KEY},
                ExpressionAttributeValues={":pk": s(keys.case_pk(case_id)), ":prefix": s(keys.ENTRY_PREFIX)},
                ConsistentRead=True,
            )
        ]

    def cases_of_customer(self, account_id: str, user_id: str) -> list[Case]:
        """Every case of one customer on one brand account, oldest first: their keys from the customer
        index (KEYS_ONLY), the cases by key."""
        refs = [
            item_key(i[c.PARTITION_KEY]["S"], i[c.SORT_KEY]["S"])
            for i in self._query(
                IndexName=c.CUSTOMER_INDEX,
                KeyConditionExpression="#pk = :pk",
                ExpressionAttributeNames={"#pk": c.CUSTOMER_INDEX_PK},
                ExpressionAttributeValues={":pk": s(keys.customer_pk(account_id, user_id))},
            )
        ]
        found: dict[str, Case] = {}
        for first in range(0, len(refs), 100):
            request = {self._table: {"Keys": refs[first : first + 100], "ConsistentRead": True}}
            while request:
                resp = self._client().batch_get_item(RequestItems=request)
                found.update(
                    (item[c.PARTITION_KEY]["S"], item_to_case(item)) for item in resp["Responses"][self._table]
                )
                request = resp.get("UnprocessedKeys") or {}
        return [found[ref[c.PARTITION_KEY]["S"]] for ref in refs if ref[c.PARTITION_KEY]["S"] in found]

    def find_message(self, platform: str, account_id: str, message_id: str) -> MessageRef | None:
        resp = self._client().get_item(
            TableName=self._table,
            Key=item_key(keys.platform_message_pk(platform, account_id, message_id), keys.PMSG_SK),
            ConsistentRead=True,
        )
        item = resp.get("Item")
        if item is None:
            return None
        return MessageRef(case_id=item["case_id"]["S"], entry_id=item["entry_id"]["S"])

    def get_entry(self, ref: MessageRef) -> ThreadEntry | None:
        resp = self._client().get_item(
            TableName=self._table,
            Key=item_key(keys.case_pk(ref.case_id), keys.ENTRY_PREFIX + ref.entry_id),
            ConsistentRead=True,
        )
        return item_to_entry(resp["Item"]) if "Item" in resp else None

    # ---- writes --------------------------------------------------------------------------
    def commit_message(self, commit: MessageCommit) -> None:
        """Store one message and the case it changes, all or nothing.

        Raises DuplicateEvent when the platform message is already stored,
        ConcurrentThreadingConflict when the case or the customer's current case changed
        since ``before`` was read (the caller re-reads and tries again), and UnstorableEvent
        when DynamoDB refuses the items themselves (too large), which no retry can fix.
        """
        event, entry, after = commit.event, commit.entry, commit.after
        assert event.message_id is not None
        items: list[dict[str, Any]] = [
            self._put(
                {
                    c.PARTITION_KEY: s(keys.platform_message_pk(event.platform, event.account_id, event.message_id)),
                    c.SORT_KEY: s(keys.PMSG_SK),
                    "entity": s("platform_message"),
                    "case_id": s(entry.case_id),
                    "entry_id": s(entry.entry_id),
                    "event_kind": s(event.kind.value),
                },
                "attribute_not_exists(#pk)",
            ),
            self._put(entry_item(entry), "attribute_not_exists(#pk)"),
        ]
        prior = commit.before.case
        if commit.continues_case:
            assert prior is not None
            items.append(self._put(case_item(after), "#v = :v", {":v": n(prior.version)}))
        else:
            items.append(self._put(case_item(after), "attribute_not_exists(#pk)"))
            if commit.superseded is not None:
                assert prior is not None
                items.append(self._put(case_item(commit.superseded), "#v = :v", {":v": n(prior.version)}))
        for uid in after.customer.all_ids:
            items.append(self._put_current(after, uid, commit.before.seen.get(uid)))
        self._transact(items, duplicate_positions=(0, 1))

    def case_write_items(self, before: Case, after: Case) -> list[dict[str, Any]]:
        """TransactWriteItems entries that replace ``before`` by ``after`` optimistically.

        The case item first, conditioned on ``before.version``, then the customer's current-case
        copies while the case is current (ingest threads on those copies, so they must move with it).
        Other writers (the agent API) add their own items after these.
        """
        items = [self._put(case_item(after), "#v = :v", {":v": n(before.version)})]
        if before.superseded_by is None:
            for uid in after.customer.all_ids:
                items.append(self._put_current(after, uid, (before.case_id, before.version)))
        return items

    def save_case(self, before: Case, after: Case) -> None:
        """Optimistic update of a case (and its current-case copies while it is current)."""
        items = self.case_write_items(before, after)
        try:
            self._transact(items, duplicate_positions=())
        except ConcurrentThreadingConflict as exc:
            raise CaseVersionConflict(f"case {after.case_id} changed since version {before.version}") from exc

    def update_entry_text(self, ref: MessageRef, *, text: str, edited_at_ms: int, previous: str | None) -> bool:
        """Apply an edit unless a later edit (or a deletion) is already applied."""
        history = {"M": {"timestamp_ms": n(edited_at_ms), "text": s(previous or "")}}
        return self._conditional_update(
            ref,
            "SET #text = :text, last_edit_at_ms = :ts, edits = list_append(if_not_exists(edits, :empty), :h)",
            "attribute_exists(#pk) AND attribute_not_exists(deleted_at_ms) AND "
            "(attribute_not_exists(last_edit_at_ms) OR last_edit_at_ms < :ts)",
            {":text": s(text), ":ts": n(edited_at_ms), ":empty": {"L": []}, ":h": {"L": [history]}},
            {"#text": "text"},
        )

    def mark_entry_deleted(self, ref: MessageRef, *, deleted_at_ms: int) -> bool:
        """The customer unsent/deleted it: its content goes, the fact that it existed stays."""
        return self._conditional_update(
            ref,
            "SET deleted_at_ms = :ts REMOVE #text, attachments, edits",
            "attribute_exists(#pk) AND attribute_not_exists(deleted_at_ms)",
            {":ts": n(deleted_at_ms)},
            {"#text": "text"},
        )

    def set_delivery_state(
        self, ref: MessageRef, *, state: DeliveryState, at_ms: int, error: str | None = None
    ) -> bool:
        """Record a delivery status unless a later one is already recorded ("delivered" may be skipped)."""
        values = {":state": s(state.value), ":rank": n(state.rank), ":ts": n(at_ms)}
        expr = "SET delivery_state = :state, delivery_rank = :rank, delivery_state_at_ms = :ts"
        if error:
            expr += ", delivery_error = :err"
            values[":err"] = s(error)
        return self._conditional_update(
            ref,
            expr,
            "attribute_exists(#pk) AND (attribute_not_exists(delivery_rank) OR delivery_rank < :rank)",
            values,
        )

    def set_reaction(self, ref: MessageRef, *, by: str, emoji: str | None, at_ms: int) -> bool:
        """One attribute per reactor, so reactors never overwrite each other; a removal stays as a
        reaction without an emoji, so an older reaction arriving late cannot bring it back."""
        reaction: Item = {"at_ms": n(at_ms)}
        if emoji:
            reaction["emoji"] = s(emoji)
        return self._conditional_update(
            ref,
            "SET #r = :r",
            "attribute_exists(#pk) AND (attribute_not_exists(#r) OR #r.#at < :ts)",
            {":r": {"M": reaction}, ":ts": n(at_ms)},
            {"#r": REACTION_PREFIX + by, "#at": "at_ms"},
        )

    def record_hidden(self, ref: MessageRef, *, at_ms: int) -> bool:
        """The platform hid the customer's comment (an agent asked): when, recorded once."""
        return self._conditional_update(
            ref,
            "SET hidden_at_ms = :ts REMOVE hide_error",
            "attribute_exists(#pk) AND attribute_not_exists(hidden_at_ms)",
            {":ts": n(at_ms)},
        )

    def record_hide_failed(self, ref: MessageRef, *, error: str) -> bool:
        """The platform refused to hide the comment: why (unless it is hidden already)."""
        return self._conditional_update(
            ref,
            "SET hide_error = :err",
            "attribute_exists(#pk) AND attribute_not_exists(hidden_at_ms)",
            {":err": s(error)},
        )

    def record_unmatched(self, event: PlatformEvent, *, reason: str, raw_key: str | None, day: str) -> None:
        """Keep an event that matched nothing, keyed so a retry writes the same item again."""
        raw = json.dumps(event.raw, ensure_ascii=False, default=str) if event.raw is not None else None
        item: Item = {
            c.PARTITION_KEY: s(keys.unmatched_pk(event.platform, day)),
            c.SORT_KEY: s(f"{event.timestamp_ms:013d}#{event.event_id}"),
            "entity": s("unmatched"),
            "reason": s(reason),
            "event_kind": s(event.kind.value),
            "channel": s(event.channel.value),
            "account_id": s(event.account_id),
            "event_id": s(event.event_id),
        }
        if event.raw_kind:
            item["raw_kind"] = s(event.raw_kind)
        if event.message_id:
            item["message_id"] = s(event.message_id)
        if raw is not None:
            item["raw"] = s(raw[:_MAX_UNMATCHED_RAW_BYTES])
        if raw_key:
            item["raw_key"] = s(raw_key)
        self._client().put_item(TableName=self._table, Item=item)

    # ---- internals -----------------------------------------------------------------------
    def _put(self, item: Item, condition: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": item, "ConditionExpression": condition}
        names = {"#pk": c.PARTITION_KEY}
        if "#v" in condition:
            names["#v"] = "version"
        if "#cid" in condition:
            names["#cid"] = "case_id"
        put["ExpressionAttributeNames"] = {k: v for k, v in names.items() if k in condition}
        if values:
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    def _put_current(self, case: Case, user_id: str, seen: tuple[str, int] | None) -> dict[str, Any]:
        if seen is None:
            return self._put(current_case_item(case, user_id), "attribute_not_exists(#pk)")
        case_id, version = seen
        return self._put(
            current_case_item(case, user_id), "#cid = :cid AND #v = :cv", {":cid": s(case_id), ":cv": n(version)}
        )

    def _transact(self, items: list[dict[str, Any]], *, duplicate_positions: Sequence[int]) -> None:
        try:
            self._client().transact_write_items(TransactItems=items)
        except ClientError as exc:
            _raise_if_unstorable(exc)
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            codes = [r.get("Code") for r in reasons]
            if any(i < len(codes) and codes[i] == "ConditionalCheckFailed" for i in duplicate_positions):
                raise DuplicateEvent("platform message already stored") from exc
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes or not codes:
                raise ConcurrentThreadingConflict("the case changed while the message was being stored") from exc
            raise

    def _conditional_update(
        self,
        ref: MessageRef,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> bool:
        try:
            self._client().update_item(
                TableName=self._table,
                Key=item_key(keys.case_pk(ref.case_id), keys.ENTRY_PREFIX + ref.entry_id),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#pk": c.PARTITION_KEY, **(names or {})},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            _raise_if_unstorable(exc)
            raise
        return True

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        return every_item(self._client(), {"TableName": self._table, **kwargs})


def _raise_if_unstorable(exc: ClientError) -> None:
    """DynamoDB answers ValidationException for items it can never accept (over 400 KB, keys
    too long): the request must not be retried, so it becomes UnstorableEvent."""
    error = exc.response.get("Error", {})
    if error.get("Code") == "ValidationException":
        raise UnstorableEvent(f"DynamoDB refused the items: {error.get('Message', '')}") from exc
