"""Handing a stored reply to the outbound queue, and what happens when the queue cannot take it.

Replies are stored as PENDING outbound entries first; the outbound sender sends them and stops the
case's response clock when the platform accepts them. A reply that could not be queued is kept for
a retry with its idempotency key (which queues it again while it is still pending: the sender sends
an entry once, however often it is queued, so nothing records that it was), or, without one, marked
failed so the agent sends it again.
"""

from __future__ import annotations

import logging

from socialcare.agents.base import AgentDeps
from socialcare.errors import ReplyNotQueued
from socialcare.model.case import ThreadEntry
from socialcare.model.events import DeliveryState

logger = logging.getLogger(__name__)


def queue_reply(deps: AgentDeps, request_json: str, entry: ThreadEntry, *, keyed: bool) -> None:
    """Queue the stored reply; ``keyed``: a retry with the request's Idempotency-Key can queue it again."""
    assert entry.channel is not None
    try:
        deps.outbound.send_json(request_json, case_id=entry.case_id, channel=entry.channel.value)
    except Exception as exc:
        logger.exception("outbound queue unavailable", extra={"case_id": entry.case_id, "entry_id": entry.entry_id})
        if keyed:
            raise ReplyNotQueued(
                f"the reply is stored as {entry.entry_id} but could not be queued for sending; "
                "send the same request again with the same Idempotency-Key to queue it"
            ) from exc
        deps.store.set_delivery_state(
            entry.case_id,
            entry.entry_id,
            state=DeliveryState.FAILED,
            at_ms=deps.clock(),
            error="not queued: the outbound queue was unavailable; send the reply again",
        )
        raise ReplyNotQueued(
            f"the reply {entry.entry_id} could not be queued for sending and is marked failed; send it again "
            "(with an Idempotency-Key header, a retry is always safe)"
        ) from exc
