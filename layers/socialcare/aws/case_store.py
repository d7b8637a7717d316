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
from socialcare.aws.current_copy import copy_to_case, copy_update, current_case_item, current_case_key
from socialcare.aws.entry_items import REACTION_PREFIX, entry_item, item_to_entry
from socialcare.aws.items import Item, case_item, item_key, item_to_case, n, s
from socialcare.aws.paging import every_item
from socialcare.aws.wiring import lazy_client
from socialcare.errors import (
    CaseNotFound,
    CaseVersionConflict,
    ConcurrentThreadingConflict,
    DuplicateEvent,
    InvalidCursor,
    UnstorableEvent,
)
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.events import DeliveryState, PlatformEvent
from socialcare.model.stored import CurrentCase, MessageRef
from socialcare.ports import MessageCommit, Page, Position

# MessageRef is re-exported: the agent side imports it from here.
__all__ = ["CaseStore", "MessageRef"]

_MAX_UNMATCHED_RAW_BYTES = 64 * 1024
_BATCH_GET_KEYS = 100  # BatchGetItem's limit
_EDIT_CONDITION = (
    "attribute_exists(#pk) AND attribute_not_exists(deleted_at_ms) AND "
    "(attribute_not_exists(last_edit_at_ms) OR last_edit_at_ms < :ts)"
)
# DynamoDB's answer to a SET of ``edits.<time>`` on an entry whose ``edits`` is no map.
_NO_EDITS_MAP = "document path provided in the update expression is invalid"


class CaseStore:
    def __init__(self, table_name: str, *, client: Any | None = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    # ---- reads ---------------------------------------------------------------------------
    def current_case(self, account_id: str, user_ids: Sequence[str]) -> CurrentCase:
        """One request: GetItem for one id, BatchGetItem when the platform gives several."""
        if len(user_ids) == 1:
            resp = self._client().get_item(
                TableName=self._table,
                Key=current_case_key(account_id, user_ids[0]),
                ConsistentRead=True,
            )
            found = {user_ids[0]: copy_to_case(resp["Item"])} if "Item" in resp else {}
            return CurrentCase.from_copies(user_ids, found)
        copies = self.current_copies([(account_id, uid) for uid in user_ids])
        return CurrentCase.from_copies(user_ids, {uid: case for (_, uid), case in copies.items()})

    def current_copies(self, customers: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Case]:
        """BatchGetItem, strongly consistent, 100 keys a request (and what DynamoDB left unprocessed)."""
        wanted = {keys.customer_pk(account_id, user_id): (account_id, user_id) for account_id, user_id in customers}
        pks = list(wanted)
        found: dict[tuple[str, str], Case] = {}
        for start in range(0, len(pks), _BATCH_GET_KEYS):
            chunk = [item_key(pk, keys.CURRENT_SK) for pk in pks[start : start + _BATCH_GET_KEYS]]
            request: dict[str, Any] = {self._table: {"Keys": chunk, "ConsistentRead": True}}
            while request:
                resp = self._client().batch_get_item(RequestItems=request)
                for item in resp.get("Responses", {}).get(self._table, []):
                    found[wanted[item[c.PARTITION_KEY]["S"]]] = copy_to_case(item)
                request = resp.get("UnprocessedKeys") or {}
        return found

    def get_case(self, case_id: str) -> Case:
        resp = self._client().get_item(
            TableName=self._table, Key=item_key(keys.case_pk(case_id), keys.CASE_SK), ConsistentRead=True
        )
        if "Item" not in resp:
            raise CaseNotFound(f"no case {case_id}")
        return item_to_case(resp["Item"])

    def thread(self, case_id: str) -> list[ThreadEntry]:
        """The whole thread in platform-timestamp order (the sort key is the timestamp): for tests and
        tools; no request path reads a whole thread (views page it, actions read back a few entries)."""
        return [
            item_to_entry(i)
            for i in self._query(
                KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames={"#pk": c.PARTITION_KEY, "#sk": c.SORT_KEY},
                ExpressionAttributeValues={":pk": s(keys.case_pk(case_id)), ":prefix": s(keys.ENTRY_PREFIX)},
                ConsistentRead=True,
            )
        ]

    def thread_page(self, case_id: str, *, limit: int, start: Position | None) -> Page[ThreadEntry]:
        """``limit`` entries of the thread, newest first, after ``start`` (a position this returned).

        Eventually consistent, at half the read cost: it serves views, where an entry stored a moment
        ago shows on the next read; no action decides on it. One more item than the page is read, so a
        page that ends the thread says so (no empty last page)."""
        pk = keys.case_pk(case_id)
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": c.PARTITION_KEY, "#sk": c.SORT_KEY},
            "ExpressionAttributeValues": {":pk": s(pk), ":prefix": s(keys.ENTRY_PREFIX)},
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if start is not None:
            if set(start) != {c.PARTITION_KEY, c.SORT_KEY} or start[c.PARTITION_KEY] != pk:
                raise InvalidCursor("the cursor does not belong to this thread")
            if not start[c.SORT_KEY].startswith(keys.ENTRY_PREFIX):
                raise InvalidCursor("the cursor does not belong to this thread")
            params["ExclusiveStartKey"] = item_key(pk, start[c.SORT_KEY])
        items = self._client().query(**params).get("Items", [])
        page = items[:limit]
        more = len(items) > limit
        position = {c.PARTITION_KEY: pk, c.SORT_KEY: page[-1][c.SORT_KEY]["S"]} if more else None
        return Page([item_to_entry(i) for i in page], position)

    def newest_entries(
        self, case_id: str, *, up_to_ms: int | None = None, since_ms: int | None = None
    ) -> Iterator[ThreadEntry]:
        """The entries stamped from ``since_ms`` to ``up_to_ms`` (inclusive; None: unbounded), newest
        first, read lazily in growing pages: the caller stops at what it looks for, so an action on
        a long thread reads a few items, not the thread. Consistent reads: actions decide on these."""
        # Entry ids start with the 13-digit timestamp: "MSG#<ts>$" sorts after every "MSG#<ts>#...".
        low = keys.ENTRY_PREFIX + (f"{since_ms:013d}" if since_ms is not None else "")
        high = keys.ENTRY_PREFIX + (f"{up_to_ms:013d}$" if up_to_ms is not None else "~")
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :low AND :high",
            "ExpressionAttributeNames": {"#pk": c.PARTITION_KEY, "#sk": c.SORT_KEY},
            "ExpressionAttributeValues": {":pk": s(keys.case_pk(case_id)), ":low": s(low), ":high": s(high)},
            "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        for limit in _growing_pages():
            resp = self._client().query(**params, Limit=limit)
            for item in resp.get("Items", []):
                yield item_to_entry(item)
            if "LastEvaluatedKey" not in resp:
                return
            params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def cases_of_customer(self, account_id: str, user_id: str) -> list[Case]:
        """Every case of one customer on one brand account, oldest first: their keys from the customer
        index (KEYS_ONLY), the cases by key."""
        found_keys = self._query(
            IndexName=c.CUSTOMER_INDEX,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": c.CUSTOMER_INDEX_PK},
            ExpressionAttributeValues={":pk": s(keys.customer_pk(account_id, user_id))},
        )
        # Cases created in the same millisecond share the sort key: by case id among them.
        ordered = sorted(found_keys, key=lambda i: (i[c.CUSTOMER_INDEX_SK]["S"][:13], i[c.PARTITION_KEY]["S"]))
        refs = [item_key(i[c.PARTITION_KEY]["S"], i[c.SORT_KEY]["S"]) for i in ordered]
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
                items.append(copy_write(self._table, after, uid, (before.case_id, before.version)))
        return items

    def save_case(self, before: Case, after: Case) -> None:
        """Optimistic update of a case (and its current-case copies while it is current)."""
        items = self.case_write_items(before, after)
        try:
            self._transact(items, duplicate_positions=())
        except ConcurrentThreadingConflict as exc:
            raise CaseVersionConflict(f"case {after.case_id} changed since version {before.version}") from exc

    def update_entry_text(self, ref: MessageRef, *, text: str, edited_at_ms: int) -> bool:
        """Apply an edit unless a later edit (or a deletion) is already applied: one write, which
        files the text it replaces under the edit's time in the entry's ``edits`` map."""
        values = {":text": s(text), ":ts": n(edited_at_ms), ":none": s("")}
        names = {"#text": "text", "#at": f"{edited_at_ms:013d}"}
        try:
            return self._conditional_update(
                ref,
                "SET edits.#at = if_not_exists(#text, :none), #text = :text, last_edit_at_ms = :ts",
                _EDIT_CONDITION,
                values,
                names,
            )
        except UnstorableEvent as exc:
            if _NO_EDITS_MAP not in exc.message:
                raise
        return self._first_edit_of_old_entry(ref, text=text, edited_at_ms=edited_at_ms)

    def _first_edit_of_old_entry(self, ref: MessageRef, *, text: str, edited_at_ms: int) -> bool:
        """An entry with no ``edits`` map (stored before there was one, or not a customer's message):
        read, then written with the map, its former list of edits included."""
        resp = self._client().get_item(
            TableName=self._table,
            Key=item_key(keys.case_pk(ref.case_id), keys.ENTRY_PREFIX + ref.entry_id),
            ConsistentRead=True,
        )
        item = resp.get("Item")
        if item is None:
            return False
        entry = item_to_entry(item)
        edits = {f"{at:013d}": s(previous) for at, previous in entry.edits}
        edits[f"{edited_at_ms:013d}"] = s(entry.text or "")
        return self._conditional_update(
            ref,
            "SET edits = :edits, #text = :text, last_edit_at_ms = :ts",
            _EDIT_CONDITION,
            {":text": s(text), ":ts": n(edited_at_ms), ":edits": {"M": edits}},
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
        """Ingest's write of a copy: the whole of it, the customer's recent posts included."""
        condition, values = _copy_condition(seen)
        return self._put(current_case_item(case, user_id), condition, values)

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


def _growing_pages() -> Iterator[int]:
    """Page sizes for reading back from the newest entry: what an action looks for is nearly always
    among the first few (4 entries fit one 4 KB read unit), older ones are read only when needed."""
    yield from (4, 16, 64)
    while True:
        yield 100


def copy_write(table: str, case: Case, user_id: str, seen: tuple[str, int] | None) -> dict[str, Any]:
    """A TransactWriteItems entry that moves a customer's current-case copy to ``case``, written by
    anyone but ingest: an update that leaves the customer's recent posts (only ingest knows them).
    ``seen``: the (case id, version) the copy held when read; None: it had none."""
    update, names, values = copy_update(case)
    condition, seen_values = _copy_condition(seen)
    names = {**names, "#pk": c.PARTITION_KEY, "#cid": "case_id", "#v": "version"}
    return {
        "Update": {
            "TableName": table,
            "Key": current_case_key(case.account_id, user_id),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {k: v for k, v in names.items() if k in update or k in condition},
            "ExpressionAttributeValues": {**values, **(seen_values or {})},
        }
    }


def _copy_condition(seen: tuple[str, int] | None) -> tuple[str, dict[str, Any] | None]:
    """A copy is written only as it was read: absent, or holding that case at that version."""
    if seen is None:
        return "attribute_not_exists(#pk)", None
    case_id, version = seen
    return "#cid = :cid AND #v = :cv", {":cid": s(case_id), ":cv": n(version)}


def _raise_if_unstorable(exc: ClientError) -> None:
    """DynamoDB answers ValidationException for items it can never accept (over 400 KB, keys
    too long): the request must not be retried, so it becomes UnstorableEvent."""
    error = exc.response.get("Error", {})
    if error.get("Code") == "ValidationException":
        raise UnstorableEvent(f"DynamoDB refused the items: {error.get('Message', '')}") from exc
