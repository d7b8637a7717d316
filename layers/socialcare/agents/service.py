"""The agent service: every action of the agent API, on the store, with the rules enforced.

Each action reads the case, checks who may do it (``access``) and whether the case allows it
(lifecycle rules below), and stores its effect in one transaction conditioned on the case version
it read (``AgentStore.commit``). A concurrent change makes that transaction fail: the caller gets a
``StateConflict`` carrying the case as it now is, and decides again. Such a conflict is never
retried behind the caller's back when a person caused it (a colleague acted, the customer wrote),
because they would want to see it first. A change that is only the system's own bookkeeping — the
outbound sender recording the delivery of a reply (typically the caller's own, just before they
resolve the case), a read receipt — is different: the action is decided again, rules and all, on
the case as it now is (``_decided_again_after_bookkeeping``), unless the caller pinned the version
they looked at with If-Match.

Lifecycle rules on top of ``model.case.ALLOWED_TRANSITIONS`` (what a care team expects):
- a case cannot wait for the customer (pending_customer) while the customer waits for the brand:
  the latest customer message must have been answered (a reply sent or queued, not failed);
- resolving or closing a case whose customer is still waiting needs a ``reason`` (spam, answered
  by phone, duplicate...); the reason is kept in the thread and the audit trail, and the wait ends;
- a closed case takes no replies or claims (the customer's next message opens a follow-up case);
  a resolved case can still be answered ("did that help?") and reopened;
- setting the status a case already has changes nothing (a retried request is harmless).

Replies are stored as PENDING outbound entries and handed to the outbound queue; the outbound
sender sends them and stops the case's response clock when the platform accepts them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, ParamSpec, Protocol, TypeVar

from socialcare import constants as c
from socialcare.agents import access
from socialcare.agents.commands import (
    ACTIVE_STATUSES,
    ME,
    UNASSIGNED,
    AssignCommand,
    MoveToPrivateCommand,
    NoteCommand,
    PageQuery,
    QueueQuery,
    ReplyCommand,
    StatusCommand,
)
from socialcare.agents.cursor import CursorCodec
from socialcare.agents.identity import TEAM_PATTERN, Caller
from socialcare.agents.profile import BrandProfile, profile_from_document, render
from socialcare.agents.replies import ReplyPlan, plan_reply, template_json
from socialcare.aws.agent_store import AgentStore, CaseFilter, IdempotencyMarker, MarkerExists, Page
from socialcare.aws.case_store import MessageRef
from socialcare.clock import Clock
from socialcare.errors import (
    AlreadyClaimed,
    CaseNotActive,
    CaseNotFound,
    CaseVersionConflict,
    IdempotencyKeyReused,
    InvalidRequest,
    PlaceholderUnavailable,
    ReasonRequired,
    ReplyNotPossible,
    ReplyNotQueued,
    StateConflict,
    UnansweredCustomerMessage,
)
from socialcare.ids import new_ulid
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case, CaseStatus, EntryKind, ThreadEntry, check_transition
from socialcare.model.events import DeliveryState
from socialcare.model.outbound import OutboundRequest, ReplyMode

logger = logging.getLogger(__name__)

CASE_ID_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
ACCOUNT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class OutboundQueue(Protocol):
    def send_json(self, body: str, *, case_id: str, channel: str) -> None: ...


# How often an action is decided again when only the system's bookkeeping moved the case on.
DECIDE_ATTEMPTS = 3


class _MovedOnByBookkeeping(CaseVersionConflict):
    """The case changed under an action only through the system's own bookkeeping; answered as any
    version conflict (409 ``case_version_conflict``) if it cannot be decided again."""


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _decided_again_after_bookkeeping(action: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``action`` again (it reads and decides afresh) when the case moved on under it only through
    the system's bookkeeping, unless the caller pinned the version (``expected_version``, If-Match)."""

    @functools.wraps(action)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        pinned = kwargs.get("expected_version") is not None
        for attempt in range(1, DECIDE_ATTEMPTS + 1):
            try:
                return action(*args, **kwargs)
            except _MovedOnByBookkeeping:
                if pinned or attempt == DECIDE_ATTEMPTS:
                    raise
                logger.info("case moved on by bookkeeping; deciding again", extra={"attempt": attempt})
        raise AssertionError("unreachable")  # pragma: no cover

    return run


# ---- results -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CaseList:
    cases: list[Case]
    next_cursor: str | None
    now_ms: int


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: Case
    thread: list[ThreadEntry]
    now_ms: int


@dataclass(frozen=True, slots=True)
class AuditList:
    records: list[AuditRecord]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ActionResult:
    case: Case
    now_ms: int
    entry: ThreadEntry | None = None
    changed: bool = True
    replayed: bool = False  # an idempotent retry: the first request's result
    accepted_for_delivery: bool = False  # a reply: stored and queued, sent later


@dataclass(frozen=True, slots=True)
class RenderedCanned:
    response_id: str
    title: str
    text: str | None  # None when this case lacks a value the template needs
    unavailable: str | None = None


@dataclass(frozen=True, slots=True)
class CannedList:
    case_id: str
    responses: list[RenderedCanned]


@dataclass(frozen=True, slots=True)
class ProfileResult:
    profile: BrandProfile


class AgentService:
    def __init__(
        self,
        store: AgentStore,
        outbound: OutboundQueue,
        *,
        clock: Clock,
        cursors: CursorCodec,
        default_brand_name: str = "our team",
        idempotency_ttl_ms: int = c.IDEMPOTENCY_TTL_HOURS * 3_600_000,
    ) -> None:
        self._store = store
        self._outbound = outbound
        self._clock = clock
        self._cursors = cursors
        self._default_brand_name = default_brand_name
        self._idempotency_ttl_ms = idempotency_ttl_ms

    # ---- lists -----------------------------------------------------------------------------
    def list_queue(self, caller: Caller, team: str, query: QueueQuery) -> CaseList:
        if not TEAM_PATTERN.match(team):
            raise InvalidRequest(f"team must match {TEAM_PATTERN.pattern}")
        access.require_team(caller, team)
        owner = caller.agent_id if query.assignee == ME else query.assignee
        flt = CaseFilter(
            statuses=query.statuses if query.statuses != ACTIVE_STATUSES else None,
            channel=query.channel,
            priority=query.priority,
            owner=owner if owner != UNASSIGNED else None,
            unowned=owner == UNASSIGNED,
        )
        scope = "|".join(
            ("queue", team, ",".join(sorted(query.statuses)), str(query.channel), str(query.priority), str(owner))
        )
        start = self._cursors.decode(scope, query.cursor) if query.cursor else None
        finished = query.finished_status
        if finished is not None:
            flt = replace(flt, statuses=None)
            page = self._store.team_finished(team, finished, flt, limit=query.limit, start=start)
        else:
            page = self._store.team_queue(team, flt, limit=query.limit, start=start)
        return self._case_list(page, scope)

    def my_cases(self, caller: Caller, query: PageQuery) -> CaseList:
        scope = f"mine|{caller.agent_id}"
        start = self._cursors.decode(scope, query.cursor) if query.cursor else None
        return self._case_list(self._store.owned(caller.agent_id, limit=query.limit, start=start), scope)

    def _case_list(self, page: Page[Case], scope: str) -> CaseList:
        cursor = self._cursors.encode(scope, page.next_position) if page.next_position else None
        return CaseList(cases=page.items, next_cursor=cursor, now_ms=self._clock())

    # ---- one case --------------------------------------------------------------------------
    def get_case(self, caller: Caller, case_id: str) -> CaseDetail:
        case = self._case(case_id)
        access.require_view(caller, case)
        return CaseDetail(case=case, thread=self._store.cases.thread(case_id), now_ms=self._clock())

    def audit_trail(self, caller: Caller, case_id: str, query: PageQuery) -> AuditList:
        case = self._case(case_id)
        access.require_view(caller, case)
        scope = f"audit|{case_id}"
        start = self._cursors.decode(scope, query.cursor) if query.cursor else None
        page = self._store.audit_trail(case_id, limit=query.limit, start=start)
        cursor = self._cursors.encode(scope, page.next_position) if page.next_position else None
        return AuditList(records=page.items, next_cursor=cursor)

    def canned_responses(self, caller: Caller, case_id: str) -> CannedList:
        """The brand's canned responses, filled in for this case (as they would be sent, unsigned)."""
        case = self._case(case_id)
        access.require_view(caller, case)
        profile = self._profile(case.account_id)
        values = _placeholder_values(case, caller, profile)
        rendered = []
        for response in profile.canned_responses:
            try:
                rendered.append(RenderedCanned(response.response_id, response.title, render(response.text, values)))
            except PlaceholderUnavailable as exc:
                rendered.append(RenderedCanned(response.response_id, response.title, None, exc.message))
        return CannedList(case_id=case_id, responses=rendered)

    # ---- ownership -------------------------------------------------------------------------
    @_decided_again_after_bookkeeping
    def claim(self, caller: Caller, case_id: str, *, expected_version: int | None = None) -> ActionResult:
        case = self._load(caller, case_id, access.require_view, expected_version)
        return self._take(caller, case, caller.agent_id, AuditAction.CLAIMED)

    @_decided_again_after_bookkeeping
    def assign(
        self, caller: Caller, case_id: str, command: AssignCommand, *, expected_version: int | None = None
    ) -> ActionResult:
        case = self._load(
            caller, case_id, lambda who, k: access.require_assign(who, k, command.agent_id), expected_version
        )
        return self._take(caller, case, command.agent_id, AuditAction.ASSIGNED)

    def _take(self, caller: Caller, case: Case, owner: str, action: AuditAction) -> ActionResult:
        now = self._clock()
        if not case.status.is_active:
            raise CaseNotActive(f"case {case.case_id} is {case.status}; only active cases are worked", current=case)
        if case.owner == owner:
            return ActionResult(case=case, now_ms=now, changed=False)
        if case.owner is not None and not caller.is_lead_or_admin:
            raise AlreadyClaimed(
                f"case {case.case_id} is already claimed by {case.owner}; a team lead can reassign it", current=case
            )
        after = _bump(replace(case, owner=owner), now)
        details = {"owner": owner}
        if case.owner:
            details["previous_owner"] = case.owner
        self._commit(caller, case, after, action, now, details=details)
        return ActionResult(case=after, now_ms=now)

    @_decided_again_after_bookkeeping
    def release(self, caller: Caller, case_id: str, *, expected_version: int | None = None) -> ActionResult:
        case = self._load(caller, case_id, access.require_release, expected_version)
        now = self._clock()
        if case.owner is None:
            return ActionResult(case=case, now_ms=now, changed=False)
        after = _bump(replace(case, owner=None), now)
        self._commit(caller, case, after, AuditAction.RELEASED, now, details={"previous_owner": case.owner})
        return ActionResult(case=after, now_ms=now)

    # ---- status ----------------------------------------------------------------------------
    @_decided_again_after_bookkeeping
    def change_status(
        self, caller: Caller, case_id: str, command: StatusCommand, *, expected_version: int | None = None
    ) -> ActionResult:
        case = self._load(caller, case_id, access.require_work, expected_version)
        now = self._clock()
        target = command.status
        if target is case.status:
            return ActionResult(case=case, now_ms=now, changed=False)
        try:
            check_transition(case.status, target)
        except StateConflict as exc:
            exc.current = case
            raise
        waiting = self._unanswered_since(case) if target in _NEEDS_ANSWER else None
        if waiting is not None and target is CaseStatus.PENDING_CUSTOMER:
            raise UnansweredCustomerMessage(
                "the customer is waiting for an answer; reply before setting the case to wait for them"
            )
        if waiting is not None and not command.reason:
            raise ReasonRequired(
                f"the customer's latest message is unanswered; give a reason to {_verb(target)} the case without replying"
            )
        # A new version, like every action: a writer that read the case before (the outbound sender
        # recording a reply) must not put the old status back.
        after = _bump(_with_status(case, target, now), now)
        if waiting is not None:  # decided not to answer: the customer is no longer waiting on the brand
            after = replace(after, awaiting_reply_since_ms=None, response_due_at_ms=None)
        entry = _status_entry(case, target, caller, now, command.reason)
        details = {"from": case.status.value, "to": target.value}
        if command.reason:
            details["reason"] = command.reason
        self._commit(caller, case, after, AuditAction.STATUS_CHANGED, now, details=details, entries=(entry,))
        return ActionResult(case=after, now_ms=now, entry=entry)

    def _unanswered_since(self, case: Case) -> int | None:
        """When the customer started waiting, unless a reply (queued or sent, not failed) followed."""
        since = case.awaiting_reply_since_ms
        if since is None:
            return None
        for entry in self._store.cases.thread(case.case_id):
            if (
                entry.kind is EntryKind.OUTBOUND
                and entry.delivery_state is not DeliveryState.FAILED
                and entry.timestamp_ms >= since
            ):
                return None
        return since

    # ---- replies ---------------------------------------------------------------------------
    @_decided_again_after_bookkeeping
    def reply(
        self,
        caller: Caller,
        case_id: str,
        command: ReplyCommand,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        fingerprint = _fingerprint("reply", command)
        case = self._case(case_id)
        if idempotency_key:
            replayed = self._replay(caller, case, idempotency_key, fingerprint)
            if replayed is not None:
                return replayed
        self._check(caller, case, access.require_work, expected_version)
        if case.status is CaseStatus.CLOSED:
            raise CaseNotActive(
                f"case {case_id} is closed; the customer's next message opens a follow-up case", current=case
            )
        now = self._clock()
        profile = self._profile(case.account_id)
        text = command.text
        if command.canned_response_id:
            text = render(profile.canned(command.canned_response_id).text, _placeholder_values(case, caller, profile))
        plan = plan_reply(
            case=case,
            thread=self._store.cases.thread(case_id),
            command=command,
            text=text,
            profile=profile,
            caller=caller,
            now_ms=now,
        )
        after = _bump(replace(case, owner=case.owner or caller.agent_id), now)
        return self._send_reply(
            caller, case, after, plan, now, AuditAction.REPLIED, idempotency_key, fingerprint, extra_entries=()
        )

    @_decided_again_after_bookkeeping
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
        fingerprint = _fingerprint("move-to-private", command)
        case = self._case(case_id)
        if idempotency_key:
            replayed = self._replay(caller, case, idempotency_key, fingerprint)
            if replayed is not None:
                return replayed
        self._check(caller, case, access.require_work, expected_version)
        if not case.status.is_active:
            raise CaseNotActive(f"case {case_id} is {case.status}; reopen it first", current=case)
        now = self._clock()
        thread = self._store.cases.thread(case_id)
        public = [
            e
            for e in thread
            if e.kind is EntryKind.INBOUND and e.channel and e.channel.is_public and not e.deleted_at_ms
        ]
        if not public:
            raise ReplyNotPossible("the customer has written nothing public on this case; there is nothing to move")
        target = public[-1]
        profile = self._profile(case.account_id)
        values = _placeholder_values(case, caller, profile)
        if command.canned_response_id:
            text = render(profile.canned(command.canned_response_id).text, values)
        else:
            text = command.text or render(profile.move_to_private_text, values)
        plan = plan_reply(
            case=case,
            thread=thread,
            command=ReplyCommand(text=text, mode=ReplyMode.PUBLIC, reply_to=target.entry_id),
            text=text,
            profile=profile,
            caller=caller,
            now_ms=now,
        )
        after = replace(case, owner=case.owner or caller.agent_id)
        extra: tuple[ThreadEntry, ...] = ()
        if case.status is not CaseStatus.PENDING_CUSTOMER:
            after = _with_status(after, CaseStatus.PENDING_CUSTOMER, now)
            extra = (_status_entry(case, CaseStatus.PENDING_CUSTOMER, caller, now, "moved to private"),)
        after = _bump(after, now)
        return self._send_reply(
            caller, case, after, plan, now, AuditAction.MOVED_TO_PRIVATE, idempotency_key, fingerprint, extra
        )

    def _send_reply(
        self,
        caller: Caller,
        before: Case,
        after: Case,
        plan: ReplyPlan,
        now: int,
        action: AuditAction,
        idempotency_key: str | None,
        fingerprint: str,
        extra_entries: Sequence[ThreadEntry],
    ) -> ActionResult:
        entry = _outbound_entry(before.case_id, plan, caller, now)
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
        request_json = request.to_json()
        marker = self._marker(caller, before.case_id, idempotency_key, fingerprint, entry.entry_id, now, request_json)
        details = {"entry_id": entry.entry_id, "channel": plan.channel.value, "mode": plan.mode.value}
        if plan.tag:
            details["tag"] = plan.tag
        if before.owner is None:
            details["claimed"] = "true"
        try:
            self._commit(
                caller, before, after, action, now, details=details, entries=(entry, *extra_entries), marker=marker
            )
        except MarkerExists:
            assert idempotency_key is not None
            replayed = self._replay(caller, self._case(before.case_id), idempotency_key, fingerprint, resend=False)
            if replayed is None:  # pragma: no cover - the marker vanished between two reads
                raise
            return replayed
        self._enqueue(request_json, entry, marker)
        logger.info(
            "reply stored and queued",
            extra={"case_id": before.case_id, "entry_id": entry.entry_id, "channel": plan.channel, "mode": plan.mode},
        )
        return ActionResult(case=after, now_ms=now, entry=entry, accepted_for_delivery=True)

    def _enqueue(self, request_json: str, entry: ThreadEntry, marker: IdempotencyMarker | None) -> None:
        assert entry.channel is not None
        try:
            self._outbound.send_json(request_json, case_id=entry.case_id, channel=entry.channel.value)
        except Exception as exc:
            logger.exception("outbound queue unavailable", extra={"case_id": entry.case_id, "entry_id": entry.entry_id})
            if marker is not None:
                raise ReplyNotQueued(
                    f"the reply is stored as {entry.entry_id} but could not be queued for sending; "
                    "send the same request again with the same Idempotency-Key to queue it"
                ) from exc
            self._store.cases.set_delivery_state(
                MessageRef(entry.case_id, entry.entry_id),
                state=DeliveryState.FAILED,
                at_ms=self._clock(),
                error="not queued: the outbound queue was unavailable; send the reply again",
            )
            raise ReplyNotQueued(
                f"the reply {entry.entry_id} could not be queued for sending and is marked failed; send it again "
                "(with an Idempotency-Key header, a retry is always safe)"
            ) from exc
        if marker is not None:
            try:
                self._store.mark_queued(marker)
            except Exception:  # the reply is queued; a retry would only queue it again
                logger.warning("could not mark the idempotency key queued", extra={"case_id": entry.case_id})

    # ---- notes -----------------------------------------------------------------------------
    @_decided_again_after_bookkeeping
    def add_note(
        self,
        caller: Caller,
        case_id: str,
        command: NoteCommand,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        """An internal note: part of the thread for the team, never sent to the customer."""
        fingerprint = _fingerprint("note", command)
        case = self._case(case_id)
        if idempotency_key:
            replayed = self._replay(caller, case, idempotency_key, fingerprint)
            if replayed is not None:
                return replayed
        self._check(caller, case, access.require_view, expected_version)
        now = self._clock()
        entry = ThreadEntry(
            case_id=case_id,
            entry_id=f"{now:013d}#note-{new_ulid(now)}",
            kind=EntryKind.NOTE,
            timestamp_ms=now,
            author=caller.agent_id,
            text=command.text,
            extra={"agent_name": caller.display_name},
        )
        marker = self._marker(caller, case_id, idempotency_key, fingerprint, entry.entry_id, now, None)
        try:
            self._commit(
                caller,
                case,
                _bump(case, now),
                AuditAction.NOTE_ADDED,
                now,
                details={"entry_id": entry.entry_id},
                entries=(entry,),
                marker=marker,
            )
        except MarkerExists:
            assert idempotency_key is not None
            replayed = self._replay(caller, self._case(case_id), idempotency_key, fingerprint, resend=False)
            if replayed is None:  # pragma: no cover
                raise
            return replayed
        return ActionResult(case=_bump(case, now), now_ms=now, entry=entry)

    # ---- brand profiles --------------------------------------------------------------------
    def get_profile(self, caller: Caller, account_id: str) -> ProfileResult:
        access.require_admin(caller)
        _check_account_id(account_id)
        return ProfileResult(self._profile(account_id))

    def put_profile(self, caller: Caller, account_id: str, document: Mapping[str, Any]) -> ProfileResult:
        access.require_admin(caller)
        _check_account_id(account_id)
        now = self._clock()
        base = self._profile(account_id)
        profile = replace(
            profile_from_document(account_id, document, base=base), updated_at_ms=now, updated_by=caller.agent_id
        )
        audit = AuditRecord(
            record_id=new_ulid(now),
            at_ms=now,
            actor=caller.agent_id,
            actor_role=caller.role.value,
            action=AuditAction.PROFILE_UPDATED,
            account_id=account_id,
            details={"fields": ",".join(sorted(document))},
        )
        self._store.save_profile(profile, audit)
        return ProfileResult(profile)

    def _profile(self, account_id: str) -> BrandProfile:
        return self._store.profile(account_id) or BrandProfile.default(account_id, self._default_brand_name)

    # ---- internals -------------------------------------------------------------------------
    def _case(self, case_id: str) -> Case:
        if not CASE_ID_PATTERN.match(case_id):
            raise CaseNotFound(f"no case {case_id}")
        return self._store.cases.get_case(case_id)

    def _load(
        self,
        caller: Caller,
        case_id: str,
        check: Callable[[Caller, Case], None],
        expected_version: int | None,
    ) -> Case:
        case = self._case(case_id)
        self._check(caller, case, check, expected_version)
        return case

    @staticmethod
    def _check(caller: Caller, case: Case, check: Callable[[Caller, Case], None], expected_version: int | None) -> None:
        check(caller, case)
        if expected_version is not None and case.version != expected_version:
            raise CaseVersionConflict(
                f"case {case.case_id} is at version {case.version}, not {expected_version} as expected (If-Match); "
                "review the change and try again",
                current=case,
            )

    def _commit(
        self,
        caller: Caller,
        before: Case,
        after: Case,
        action: AuditAction,
        now: int,
        *,
        details: Mapping[str, str],
        entries: Sequence[ThreadEntry] = (),
        marker: IdempotencyMarker | None = None,
    ) -> None:
        audit = AuditRecord(
            record_id=new_ulid(now),
            at_ms=now,
            actor=caller.agent_id,
            actor_role=caller.role.value,
            action=action,
            case_id=before.case_id,
            case_version=after.version,
            details=dict(details),
        )
        try:
            self._store.commit(before=before, after=after, audit=audit, entries=entries, marker=marker, now_ms=now)
        except StateConflict as exc:
            current = self._store.cases.get_case(before.case_id)
            if (
                isinstance(exc, CaseVersionConflict)
                and _only_bookkeeping_changed(before, current)
                and not self._store.acted_since(before.case_id, before.version)
            ):
                raise _MovedOnByBookkeeping(exc.message, current=current) from exc
            exc.current = current
            logger.info("agent action lost a race", extra={"case_id": before.case_id, "action": action.value})
            raise

    def _marker(
        self,
        caller: Caller,
        case_id: str,
        key: str | None,
        fingerprint: str,
        entry_id: str,
        now: int,
        request_json: str | None,
    ) -> IdempotencyMarker | None:
        if key is None:
            return None
        return IdempotencyMarker(
            case_id=case_id,
            agent_id=caller.agent_id,
            key=key,
            fingerprint=fingerprint,
            entry_id=entry_id,
            created_at_ms=now,
            expires_at_s=(now + self._idempotency_ttl_ms) // 1000,
            queued=request_json is None,
            request_json=request_json,
        )

    def _replay(
        self, caller: Caller, case: Case, key: str, fingerprint: str, *, resend: bool = True
    ) -> ActionResult | None:
        """The first result of a request repeated with the same Idempotency-Key; None if it is new.
        ``case`` is the case as just read: the request's own read, not a second one."""
        case_id = case.case_id
        access.require_view(caller, case)
        now = self._clock()
        marker = self._store.marker(case_id, caller.agent_id, key, now_ms=now)
        if marker is None:
            return None
        if marker.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key} was used for a different request on this case; use a new key"
            )
        entry = self._store.get_entry(case_id, marker.entry_id)
        if entry is None:  # pragma: no cover - entries are never deleted
            raise CaseNotFound(f"entry {marker.entry_id} of case {case_id} is gone")
        if resend and not marker.queued and marker.request_json and entry.delivery_state is DeliveryState.PENDING:
            self._enqueue(marker.request_json, entry, marker)
        return ActionResult(
            case=case,
            now_ms=now,
            entry=entry,
            changed=False,
            replayed=True,
            accepted_for_delivery=entry.kind is EntryKind.OUTBOUND,
        )


_NEEDS_ANSWER = frozenset({CaseStatus.PENDING_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED})


def _only_bookkeeping_changed(before: Case, current: Case) -> bool:
    """Whether what changed since ``before`` is only what the system records by itself: a reply's
    delivery (first response, the clock stopped, one more message), a read receipt. A customer
    message counts one more message without a reply being recorded (or two with one); a person
    acting changes the status or the owner, or leaves an audit record (checked by the caller)."""
    reply_recorded = current.last_outbound_at_ms != before.last_outbound_at_ms
    return (
        current.message_count - before.message_count <= (1 if reply_recorded else 0)
        and current.case_id == before.case_id
        and current.status is before.status
        and current.owner == before.owner
        and current.team == before.team
        and current.priority is before.priority
        and current.channels == before.channels
        and current.last_inbound_at_ms == before.last_inbound_at_ms
        and dict(current.last_inbound_by_channel) == dict(before.last_inbound_by_channel)
        and current.reopen_count == before.reopen_count
        and current.superseded_by == before.superseded_by
        and current.awaiting_reply_since_ms in (None, before.awaiting_reply_since_ms)
    )


def _verb(status: CaseStatus) -> str:
    return "close" if status is CaseStatus.CLOSED else "resolve"


def _bump(case: Case, now: int) -> Case:
    return replace(case, updated_at_ms=now, version=case.version + 1)


def _with_status(case: Case, target: CaseStatus, now: int) -> Case:
    after = case.with_status(target, now)
    if target is CaseStatus.OPEN and case.status is CaseStatus.RESOLVED:
        after = replace(after, resolved_at_ms=None, reopen_count=case.reopen_count + 1)
    return after


def _status_entry(case: Case, target: CaseStatus, caller: Caller, now: int, reason: str | None) -> ThreadEntry:
    return ThreadEntry(
        case_id=case.case_id,
        entry_id=f"{now:013d}#status-{new_ulid(now)}",
        kind=EntryKind.STATUS_CHANGE,
        timestamp_ms=now,
        author=caller.agent_id,
        text=reason,
        extra={"from": case.status.value, "to": target.value, "agent_name": caller.display_name},
    )


def _outbound_entry(case_id: str, plan: ReplyPlan, caller: Caller, now: int) -> ThreadEntry:
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


def _placeholder_values(case: Case, caller: Caller, profile: BrandProfile) -> dict[str, str | None]:
    handle = f"@{case.customer.handle.lstrip('@')}" if case.customer.handle else None
    return {
        "customer_name": case.customer.name or handle,
        "customer_handle": handle,
        "agent_name": caller.display_name,
        "agent_first_name": caller.first_name,
        "brand_name": profile.brand_name,
        "case_id": case.case_id,
    }


def _fingerprint(route: str, command: object) -> str:
    doc = asdict(command)  # type: ignore[call-overload]
    canonical = json.dumps({"route": route, "command": doc}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_account_id(account_id: str) -> None:
    if not ACCOUNT_ID_PATTERN.match(account_id):
        raise InvalidRequest(f"account id must match {ACCOUNT_ID_PATTERN.pattern}")
