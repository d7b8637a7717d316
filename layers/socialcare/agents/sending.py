"""Replies and the move to a private channel: planned (``replies.plan_reply``), stored as PENDING
outbound entries with their outbound request, and handed to the outbound queue (``delivery``).
Both are made once per Idempotency-Key (``idempotency``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from socialcare.agents import access
from socialcare.agents.base import bump, placeholder_values
from socialcare.agents.bookkeeping import decided_again_after_bookkeeping
from socialcare.agents.commands import MoveToPrivateCommand, ReplyCommand
from socialcare.agents.idempotency import Decision, Keyed, KeyedActions
from socialcare.agents.identity import Caller
from socialcare.agents.lifecycle import status_entry, with_status
from socialcare.agents.replies import ReplyPlan, plan_reply, template_json
from socialcare.agents.results import ActionResult
from socialcare.agents.thread_facts import ThreadFacts
from socialcare.errors import CaseNotActive, ReplyNotPossible
from socialcare.ids import new_ulid
from socialcare.model.audit import AuditAction
from socialcare.model.case import Case, CaseStatus, EntryKind, ThreadEntry
from socialcare.model.events import DeliveryState
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.model.profile import render


class Sending(KeyedActions):
    @decided_again_after_bookkeeping
    def reply(
        self,
        caller: Caller,
        case_id: str,
        command: ReplyCommand,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        def decide(case: Case, now: int) -> Decision:
            if case.status is CaseStatus.CLOSED:
                raise CaseNotActive(
                    f"case {case_id} is closed; the customer's next message opens a follow-up case", current=case
                )
            profile = self._profile(case.account_id)
            text = command.text
            if command.canned_response_id:
                text = render(
                    profile.canned(command.canned_response_id).text, placeholder_values(case, caller, profile)
                )
            facts = ThreadFacts(self._store, case)
            plan = plan_reply(
                case=case, facts=facts, command=command, text=text, profile=profile, caller=caller, now_ms=now
            )
            after = bump(replace(case, owner=case.owner or caller.agent_id), now)
            return reply_decision(caller, case, after, plan, now, AuditAction.REPLIED, ())

        request = Keyed("reply", command, idempotency_key)
        return self._once(caller, case_id, request, access.require_work, expected_version, decide)

    @decided_again_after_bookkeeping
    def move_to_private(
        self,
        caller: Caller,
        case_id: str,
        command: MoveToPrivateCommand,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """Answer the customer's public message inviting them to write privately; the case then waits for them."""

        def decide(case: Case, now: int) -> Decision:
            if not case.status.is_active:
                raise CaseNotActive(f"case {case_id} is {case.status}; reopen it first", current=case)
            facts = ThreadFacts(self._store, case)
            public = facts.newest_public()
            if public is None:
                raise ReplyNotPossible("the customer has written nothing public on this case; there is nothing to move")
            profile = self._profile(case.account_id)
            values = placeholder_values(case, caller, profile)
            if command.canned_response_id:
                text = render(profile.canned(command.canned_response_id).text, values)
            else:
                text = command.text or render(profile.move_to_private_text, values)
            invitation = ReplyCommand(text=text, mode=ReplyMode.PUBLIC, reply_to=public.entry_id)
            plan = plan_reply(
                case=case, facts=facts, command=invitation, text=text, profile=profile, caller=caller, now_ms=now
            )
            after = replace(case, owner=case.owner or caller.agent_id)
            extra: tuple[ThreadEntry, ...] = ()
            if case.status is not CaseStatus.PENDING_CUSTOMER:
                after = self._moved(case, with_status(after, CaseStatus.PENDING_CUSTOMER, now), now)
                extra = (status_entry(case, CaseStatus.PENDING_CUSTOMER, caller, now, "moved to private"),)
            return reply_decision(caller, case, bump(after, now), plan, now, AuditAction.MOVED_TO_PRIVATE, extra)

        request = Keyed("move-to-private", command, idempotency_key)
        return self._once(caller, case_id, request, access.require_work, expected_version, decide)


def reply_decision(
    caller: Caller,
    before: Case,
    after: Case,
    plan: ReplyPlan,
    now: int,
    action: AuditAction,
    extra_entries: Sequence[ThreadEntry],
) -> Decision:
    """The reply's outbound entry, its outbound request and its audit details."""
    entry = outbound_entry(before.case_id, plan, caller, now)
    request = OutboundRequest(
        case_id=before.case_id,
        entry_id=entry.entry_id,
        channel=plan.channel,
        account_id=before.account_id,
        recipient_id=plan.recipient_id,
        mode=plan.mode,
        text=plan.text,
        attachments=plan.attachments,
        reply_to_id=plan.reply_to_id,
        conversation_ref=plan.conversation_ref,
        tag=plan.tag,
        template=plan.template,
    )
    details = {"entry_id": entry.entry_id, "channel": plan.channel.value, "mode": plan.mode.value}
    if plan.tag:
        details["tag"] = plan.tag
    if before.owner is None:
        details["claimed"] = "true"
    return Decision(
        after=after,
        action=action,
        entry=entry,
        details=details,
        entries=(entry, *extra_entries),
        request_json=request.to_json(),
    )


def outbound_entry(case_id: str, plan: ReplyPlan, caller: Caller, now: int) -> ThreadEntry:
    extra = {"mode": plan.mode.value, "agent_name": caller.display_name}
    if plan.tag:
        extra["tag"] = plan.tag
    template = template_json(plan.template)
    if template:
        extra["template"] = template
    return ThreadEntry(
        case_id=case_id,
        entry_id=f"{now:013d}#out-{new_ulid(now)}",
        kind=EntryKind.OUTBOUND,
        timestamp_ms=now,
        channel=plan.channel,
        author=caller.agent_id,
        text=plan.text,
        attachments=plan.attachments,
        public=plan.public,
        reply_to_id=plan.reply_to_id,
        conversation_ref=plan.conversation_ref,
        delivery_state=DeliveryState.PENDING,
        delivery_state_at_ms=now,
        extra=extra,
    )
