"""DynamoDB writes of the outbound sender: claiming a pending reply, recording what the platform did.

The reply is a thread entry (``CASE#<case>`` / ``MSG#<entry id>``) written PENDING by the agent
API. Besides the entry's visible ``delivery_state`` (what agents see, and what WhatsApp statuses
advance), the sender keeps its own bookkeeping on the same item:

===========================  ==============================================================
attribute                    meaning
===========================  ==============================================================
``send_state``               absent (never tried), waiting (a retry is due), sending
                             (claimed), sent, failed, gave_up (retries exhausted: the
                             queue message went to the DLQ; a redrive may try again)
``send_attempt_id``          the invocation that holds the claim
``send_claimed_at_ms``       when it claimed; a claim older than the lease was abandoned
``send_attempts``            claims so far
``parts_sent``               how many of the reply's platform calls were accepted (text,
                             then one per attachment on some platforms)
``platform_message_ids``     the platform's id of each accepted part
``delivery_uncertain``       failed because nobody knows whether the platform got it
===========================  ==============================================================

Every write is conditioned on the claim (``send_attempt_id``) and on ``parts_sent``, so a stale
invocation can never record over a newer one, and a part is never recorded twice. Recording an
accepted part is one transaction with its platform-message index item, so the platform's echo
of it is recognised as a duplicate; the first accepted part also updates the case (optimistic
version) and links the customer id a Meta private reply revealed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.case_store import copy_write
from socialcare.aws.entry_items import item_to_entry
from socialcare.aws.items import case_item, item_key, n, s
from socialcare.aws.wiring import lazy_client
from socialcare.errors import CaseChanged, ClaimLost, MessageIdTaken
from socialcare.model.case import Case, EntryKind
from socialcare.model.events import DeliveryState
from socialcare.model.sending import CustomerLink, OutboundEntry, PartRecord, SendFailure, SendState
from socialcare.model.stored import MessageRef


class OutboundStore:
    def __init__(self, table_name: str, *, client: Any | None = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    # ---- reads ---------------------------------------------------------------------------
    def get(self, ref: MessageRef) -> OutboundEntry | None:
        resp = self._client().get_item(TableName=self._table, Key=self._entry_key(ref), ConsistentRead=True)
        item = resp.get("Item")
        return None if item is None else outbound_entry(item)

    # ---- claiming ------------------------------------------------------------------------
    def claim(self, seen: OutboundEntry, *, attempt_id: str, now_ms: int) -> bool:
        """PENDING/waiting/gave-up → sending, by this attempt; False when someone else got there first."""
        values: dict[str, Any] = {
            ":sending": s(SendState.SENDING),
            ":a": s(attempt_id),
            ":now": n(now_ms),
            ":zero": n(0),
            ":one": n(1),
            ":outbound": s(EntryKind.OUTBOUND),
            ":waiting": s(SendState.WAITING),
            ":gave_up": s(SendState.GAVE_UP),
        }
        update = (
            "SET send_state = :sending, send_attempt_id = :a, send_claimed_at_ms = :now, "
            "send_attempts = if_not_exists(send_attempts, :zero) + :one"
        )
        if seen.parts_sent == 0:  # nothing reached the customer yet: the thread shows "sending"
            update += ", delivery_state = :visible, delivery_rank = :zero, delivery_state_at_ms = :now"
            values[":visible"] = s(DeliveryState.SENDING)
        condition = (
            "#kind = :outbound AND (attribute_not_exists(send_state) OR send_state IN (:waiting, :gave_up)) AND "
            + _parts_condition(seen.parts_sent, values)
        )
        return self._update(seen.ref, update, condition, values, {"#kind": "kind"})

    def release(self, seen: OutboundEntry, *, attempt_id: str, note: str, now_ms: int) -> bool:
        """Give the claim back after a retryable failure: the entry waits for its next try."""
        values: dict[str, Any] = {
            ":waiting": s(SendState.WAITING),
            ":sending": s(SendState.SENDING),
            ":a": s(attempt_id),
            ":note": s(note),
        }
        update = "SET send_state = :waiting, delivery_error = :note REMOVE send_attempt_id, send_claimed_at_ms"
        if seen.parts_sent == 0:
            values[":now"] = n(now_ms)
            update = (
                "SET send_state = :waiting, delivery_error = :note, delivery_state = :pending, "
                "delivery_state_at_ms = :now REMOVE send_attempt_id, send_claimed_at_ms"
            )
            values[":pending"] = s(DeliveryState.PENDING)
        condition = "send_attempt_id = :a AND send_state = :sending AND " + _parts_condition(seen.parts_sent, values)
        return self._update(seen.ref, update, condition, values)

    def fail(self, seen: OutboundEntry, failure: SendFailure, *, now_ms: int) -> bool:
        """Mark the reply failed, visibly. ``failure.attempt_id``: the claim this attempt holds; without
        it, the entry must still be exactly as ``seen`` (unclaimed, or the same abandoned claim)."""
        values: dict[str, Any] = {
            ":state": s(SendState.GAVE_UP if failure.gave_up else SendState.FAILED),
            ":failed": s(DeliveryState.FAILED),
            ":rank": n(DeliveryState.FAILED.rank),
            ":reason": s(failure.reason),
            ":now": n(now_ms),
        }
        update = (
            "SET send_state = :state, delivery_state = :failed, delivery_rank = :rank, "
            "delivery_error = :reason, delivery_state_at_ms = :now"
        )
        if failure.uncertain:
            update += ", delivery_uncertain = :true"
            values[":true"] = {"BOOL": True}
        if failure.attempt_id is not None:
            values[":a"] = s(failure.attempt_id)
            values[":sending"] = s(SendState.SENDING)
            condition = "send_attempt_id = :a AND send_state = :sending"
        elif seen.send_state is SendState.SENDING:
            assert seen.attempt_id is not None
            values[":a"] = s(seen.attempt_id)
            values[":sending"] = s(SendState.SENDING)
            condition = "send_attempt_id = :a AND send_state = :sending"
        else:
            values[":waiting"] = s(SendState.WAITING)
            values[":gave_up"] = s(SendState.GAVE_UP)
            condition = "(attribute_not_exists(send_state) OR send_state IN (:waiting, :gave_up))"
        condition += " AND " + _parts_condition(seen.parts_sent, values)
        return self._update(seen.ref, update, condition, values)

    # ---- recording what the platform accepted --------------------------------------------
    def record(self, part: PartRecord) -> None:
        """One accepted part, all or nothing. Raises ClaimLost, MessageIdTaken or CaseChanged."""
        items: list[tuple[str, dict[str, Any]]] = [("entry", self._part_update(part))]
        if part.message_id is not None:
            items += self._index_items(part, part.message_id)
        if part.case_change is not None:
            items += [("case", item) for item in self._case_items(*part.case_change, part.link)]
        self._transact(items)

    def _part_update(self, part: PartRecord) -> dict[str, Any]:
        """The entry's update: one more part sent (and the reply SENT with its last one)."""
        seen = part.seen
        values: dict[str, Any] = {
            ":a": s(part.attempt_id),
            ":sending": s(SendState.SENDING),
            ":failed_state": s(SendState.FAILED),
            ":true": {"BOOL": True},
            ":now": n(part.at_ms),
            ":seen_rank": n(seen.delivery_rank),
            ":parts_after": n(seen.parts_sent + 1),
        }
        sets = ["parts_sent = :parts_after", "send_last_part_at_ms = :now"]
        removes: list[str] = []
        if part.message_id is not None:
            sets.append("platform_message_ids = list_append(if_not_exists(platform_message_ids, :empty), :ids)")
            values[":empty"] = {"L": []}
            values[":ids"] = {"L": [s(part.message_id)]}
            if seen.parts_sent == 0:
                sets.append("platform_message_id = :mid")
                values[":mid"] = s(part.message_id)
        if part.done:
            sets += ["send_state = :sent_state", "sent_at_ms = :now"]
            values[":sent_state"] = s(SendState.SENT)
            removes += ["delivery_error", "delivery_uncertain"]
            if seen.delivery_rank < DeliveryState.SENT.rank:
                sets += ["delivery_state = :sent", "delivery_rank = :sent_rank", "delivery_state_at_ms = :now"]
                values[":sent"] = s(DeliveryState.SENT)
                values[":sent_rank"] = n(DeliveryState.SENT.rank)
        if part.link is not None:
            sets.append("linked_customer_id = :linked")
            values[":linked"] = s(part.link.user_id)
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        # The claim holder records even over a "delivery uncertain" failure that another
        # invocation wrote while it was still working: what the platform said wins over a guess.
        condition = (
            "send_attempt_id = :a AND (send_state = :sending OR (send_state = :failed_state AND delivery_uncertain = :true)) "
            "AND (attribute_not_exists(delivery_rank) OR delivery_rank = :seen_rank OR send_state = :failed_state) AND "
            + _parts_condition(seen.parts_sent, values)
        )
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._entry_key(seen.ref),
                "UpdateExpression": update,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def _index_items(self, part: PartRecord, message_id: str) -> list[tuple[str, dict[str, Any]]]:
        """The platform-message index item of the accepted part (and the echo it replaces)."""
        ref = part.seen.ref
        index_item = {
            c.PARTITION_KEY: s(keys.platform_message_pk(part.platform, part.account_id, message_id)),
            c.SORT_KEY: s(keys.PMSG_SK),
            "entity": s("platform_message"),
            "case_id": s(ref.case_id),
            "entry_id": s(ref.entry_id),
            "event_kind": s("outbound"),
        }
        if part.adopt is None:
            return [("index", self._put(index_item, "attribute_not_exists(#pk)", {}))]
        # The echo got there first: the index moves from the echo's entry to this one,
        # and the echo's duplicate line leaves the thread.
        echo_delete = {
            "Delete": {
                "TableName": self._table,
                "Key": self._entry_key(part.adopt),
                "ConditionExpression": "attribute_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": c.PARTITION_KEY},
            }
        }
        return [
            ("index", self._put(index_item, "#eid = :echo", {":echo": s(part.adopt.entry_id)}, {"#eid": "entry_id"})),
            ("echo", echo_delete),
        ]

    # ---- internals -----------------------------------------------------------------------
    def _case_items(self, before: Case, after: Case, link: CustomerLink | None) -> list[dict[str, Any]]:
        items = [self._put(case_item(after), "#v = :v", {":v": n(before.version)}, {"#v": "version"})]
        if before.superseded_by is None:
            for uid in before.customer.all_ids:
                items.append(copy_write(self._table, after, uid, (before.case_id, before.version)))
        if link is not None:
            items.append(copy_write(self._table, after, link.user_id, link.seen))
            if link.displaced is not None:
                old_before, old_after = link.displaced
                items.append(
                    self._put(case_item(old_after), "#v = :v", {":v": n(old_before.version)}, {"#v": "version"})
                )
        return items

    def _put(
        self, item: dict[str, Any], condition: str, values: dict[str, Any], names: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {**({"#pk": c.PARTITION_KEY} if "#pk" in condition else {}), **(names or {})},
        }
        if values:
            put["ExpressionAttributeValues"] = values
        return {"Put": put}

    def _transact(self, labelled: list[tuple[str, dict[str, Any]]]) -> None:
        try:
            self._client().transact_write_items(TransactItems=[item for _, item in labelled])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or []
            failed = {
                labelled[i][0]
                for i, reason in enumerate(reasons)
                if i < len(labelled) and reason.get("Code") not in (None, "None")
            }
            if "entry" in failed:
                raise ClaimLost("the reply is no longer claimed by this attempt") from exc
            if "index" in failed or "echo" in failed:
                raise MessageIdTaken("the platform message id is already indexed") from exc
            raise CaseChanged("the case changed while the reply was being recorded") from exc

    def _update(
        self,
        ref: MessageRef,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: Mapping[str, str] | None = None,
    ) -> bool:
        params: dict[str, Any] = {
            "TableName": self._table,
            "Key": self._entry_key(ref),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if names:
            params["ExpressionAttributeNames"] = dict(names)
        try:
            self._client().update_item(**params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @staticmethod
    def _entry_key(ref: MessageRef) -> dict[str, Any]:
        return item_key(keys.case_pk(ref.case_id), keys.ENTRY_PREFIX + ref.entry_id)


def _parts_condition(parts: int, values: dict[str, Any]) -> str:
    values[":parts_seen"] = n(parts)
    if parts == 0:
        return "(attribute_not_exists(parts_sent) OR parts_sent = :parts_seen)"
    return "parts_sent = :parts_seen"


def outbound_entry(item: Mapping[str, Any]) -> OutboundEntry:
    def text(name: str) -> str | None:
        value = item.get(name)
        return None if value is None else str(value["S"])

    def number(name: str) -> int | None:
        value = item.get(name)
        return None if value is None else int(value["N"])

    state = text("send_state")
    return OutboundEntry(
        entry=item_to_entry(item),
        send_state=SendState(state) if state else None,
        attempt_id=text("send_attempt_id"),
        claimed_at_ms=number("send_claimed_at_ms"),
        attempts=number("send_attempts") or 0,
        parts_sent=number("parts_sent") or 0,
        platform_message_ids=tuple(str(v["S"]) for v in item.get("platform_message_ids", {"L": []})["L"]),
        uncertain=bool(item.get("delivery_uncertain", {"BOOL": False})["BOOL"]),
    )
