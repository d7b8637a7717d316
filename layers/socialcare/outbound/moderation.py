"""Hiding a customer's public comment on the platform: the ``hide_comment`` task (``model/tasks.py``).

An agent asked for it (``POST /cases/{id}/entries/{entry_id}/hide``; never automatic) and the agent
API queued the task. Here the comment's thread entry is read, the brand account's token taken from the
platforms' credentials, Meta's hide comment API called (``MetaReplyClient.hide_comment``) and the
outcome recorded on the entry: ``hidden_at`` when Meta confirms, ``hide_error`` when it refuses for
good. Hiding is idempotent on Meta's side, so throttling, a temporary error or a lost answer raises
``RetryLater`` and the queue delivers the task again (after its retries, to the dead-letter queue);
a comment already recorded hidden is not called again.
"""

from __future__ import annotations

import logging

from socialcare.clock import Clock
from socialcare.errors import CaseNotFound, RetryLater, TransportError
from socialcare.model.case import EntryKind
from socialcare.model.channels import HIDEABLE_COMMENT_CHANNELS
from socialcare.model.stored import MessageRef
from socialcare.model.tasks import CaseTask
from socialcare.outbound.http import Transport
from socialcare.outbound.meta_client import MetaReplyClient
from socialcare.outbound.replies import Accepted, Retryable
from socialcare.ports import CommentModeration, Credentials

logger = logging.getLogger(__name__)

DEFAULT_RETRY_S = 30


class CommentHider:
    def __init__(
        self,
        store: CommentModeration,
        *,
        client: MetaReplyClient,
        transport: Transport,
        credentials: Credentials,
        clock: Clock,
        http_timeout_s: float,
    ) -> None:
        self._store = store
        self._client = client
        self._transport = transport
        self._credentials = credentials
        self._clock = clock
        self._timeout_s = http_timeout_s

    def run(self, task: CaseTask) -> str:
        """Hide the comment the task names; a word for the log ("hidden", "refused", "skipped: ...")."""
        ref = MessageRef(task.case_id, task.arg("entry_id"))
        try:
            case = self._store.get_case(ref.case_id)
        except CaseNotFound:
            return "skipped: no such case"
        entry = self._store.get_entry(ref)
        if entry is None:
            return "skipped: no such entry"
        if entry.hidden_at_ms is not None:
            return "already hidden"
        comment_id = entry.platform_message_id
        if entry.kind is not EntryKind.INBOUND or entry.channel not in HIDEABLE_COMMENT_CHANNELS or not comment_id:
            return "skipped: not a customer's comment"
        meta = self._credentials().meta
        token = meta.page_tokens.get(case.account_id) if meta is not None else None
        if not token:
            self._store.record_hide_failed(
                ref, error=f"no Meta access token is configured for account {case.account_id}"
            )
            return "refused: no token"
        request = self._client.hide_comment(entry.channel, comment_id, token)
        try:
            response = self._transport.send(request, timeout_s=self._timeout_s)
        except TransportError as exc:
            raise RetryLater(f"the hide was not confirmed ({exc}); it is asked again", delay_s=DEFAULT_RETRY_S) from exc
        outcome = self._client.interpret_hide(response)
        if isinstance(outcome, Accepted):
            self._store.record_hidden(ref, at_ms=self._clock())
            return "hidden"
        if isinstance(outcome, Retryable):
            raise RetryLater(outcome.reason, delay_s=int(outcome.retry_after_s or DEFAULT_RETRY_S))
        self._store.record_hide_failed(ref, error=outcome.reason)
        logger.warning("comment not hidden", extra={"case_id": ref.case_id, "entry_id": ref.entry_id})
        return "refused"
