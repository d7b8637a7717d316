"""Domain exceptions. Adapters map these to HTTP status codes in one place, by type."""

from __future__ import annotations


class SocialCareError(Exception):
    """Base of every domain error; ``code`` is machine-readable."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- webhook deliveries -------------------------------------------------------------------
class UnknownPlatform(SocialCareError):
    code = "unknown_platform"


class SignatureMissing(SocialCareError):
    code = "signature_missing"


class SignatureInvalid(SocialCareError):
    code = "signature_invalid"


class MalformedPayload(SocialCareError):
    code = "malformed_payload"


class PayloadTooLarge(SocialCareError):
    code = "payload_too_large"


class HandshakeRejected(SocialCareError):
    code = "handshake_rejected"


class HandshakeUnsupported(SocialCareError):
    code = "handshake_unsupported"


class CredentialsInvalid(SocialCareError):
    code = "credentials_invalid"


class EventShapeError(Exception):
    """One event does not have the expected shape, or is of a kind this adapter does not model.

    The parser records it as an UNKNOWN event; ``raw_kind`` (when set) names what it was.
    """

    def __init__(self, message: str, raw_kind: str | None = None) -> None:
        super().__init__(message)
        self.raw_kind = raw_kind


class MalformedEnvelope(SocialCareError):
    code = "malformed_envelope"


class RawNotArchived(SocialCareError):
    """The raw archive refused a delivery's body: its message stays on the queue, to be tried again."""

    code = "raw_not_archived"


# --- storage ------------------------------------------------------------------------------
class DuplicateEvent(SocialCareError):
    code = "duplicate_event"


class UnstorableEvent(SocialCareError):
    """DynamoDB refuses the event's items as invalid (an item over 400 KB...): retrying cannot help."""

    code = "unstorable_event"


class CaseNotFound(SocialCareError):
    code = "case_not_found"


class StateConflict(SocialCareError):
    """The request conflicts with the case's current state.

    ``current`` carries that state (a ``Case``) when the raiser knows it, so an API can show the
    caller what they lost to; typed loosely because the model imports this module.
    """

    code = "state_conflict"

    def __init__(self, message: str, *, current: object | None = None) -> None:
        super().__init__(message)
        self.current = current


class CaseVersionConflict(StateConflict):
    code = "case_version_conflict"


class ConcurrentThreadingConflict(SocialCareError):
    """The customer's current case changed while an event was being threaded; retry."""

    code = "threading_conflict"


class InvalidTransition(StateConflict):
    code = "invalid_transition"


class TargetNotYetKnown(SocialCareError):
    """An edit, deletion, status or reaction arrived before the message it concerns: the delivery
    is retried later (an expected wait, reported as a batch item failure, never logged as an error)."""

    code = "target_not_yet_known"


# --- replies ------------------------------------------------------------------------------
class OutsideMessagingWindow(SocialCareError):
    """The platform does not allow a free-form message to this customer now."""

    code = "outside_messaging_window"


class TemplateRequired(OutsideMessagingWindow):
    """WhatsApp: outside the 24-hour window only an approved template may be sent."""

    code = "template_required"


class MalformedOutboundRequest(SocialCareError):
    code = "malformed_outbound_request"


class MalformedTask(SocialCareError):
    """A queue message that claims to be a task (``model/tasks.py``) but is not a valid one."""

    code = "malformed_task"


class ReplyRefused(SocialCareError):
    """The reply cannot be sent as asked; no platform call was made."""

    code = "reply_refused"


class RetryLater(SocialCareError):
    """Nothing went out this time; deliver the queue message again after ``delay_s``."""

    code = "retry_later"

    def __init__(self, message: str, *, delay_s: int) -> None:
        super().__init__(message)
        self.delay_s = delay_s


# --- the outbound sender's store and transport (internal signals, not shown to callers) ------
class ClaimLost(Exception):
    """The entry is no longer claimed by this attempt (or its parts moved on)."""


class MessageIdTaken(Exception):
    """The platform-message index already names this message id (its echo was stored first)."""


class CaseChanged(Exception):
    """The case (or a customer's current-case copy) changed since it was read; re-read and retry."""


class TransportError(Exception):
    """The call produced no HTTP answer."""


class RequestNotSent(TransportError):
    """The platform cannot have received the request: safe to send again."""


class AnswerLost(TransportError):
    """The request went out but its answer did not come back: the platform may have acted on it."""


# --- agent API ------------------------------------------------------------------------------
class NotAuthenticated(SocialCareError):
    """No verified identity reached the API (the authorizer should have refused the request)."""

    code = "unauthorized"


class ApiSecretInvalid(ValueError):
    """The agent API's own secret is not the JSON document it must be (a deployment fault)."""


class Forbidden(SocialCareError):
    code = "forbidden"


class ForbiddenTeam(Forbidden):
    """The case or queue belongs to a team the caller is not in."""

    code = "forbidden_team"


class ForbiddenRole(Forbidden):
    """The caller's role (agent, lead, admin) may not do this."""

    code = "forbidden_role"


class NotCaseOwner(Forbidden):
    """Another agent owns the case; only they, a lead or an admin may act on it."""

    code = "not_case_owner"


class InvalidRequest(SocialCareError):
    """A body or query parameter is missing, unknown, of the wrong type or out of bounds."""

    code = "invalid_request"


class InvalidCursor(InvalidRequest):
    code = "invalid_cursor"


class UnsupportedFilter(InvalidRequest):
    """A list asked with a combination of filters no keyed view serves (``rules.views``): refused
    rather than answered by reading past what it returns."""

    code = "unsupported_filter"


class TextTooLong(InvalidRequest):
    code = "text_too_long"


class RequestTooLarge(SocialCareError):
    code = "request_too_large"


class EntryNotFound(SocialCareError):
    code = "entry_not_found"


class CannedResponseNotFound(SocialCareError):
    code = "canned_response_not_found"


class AlreadyClaimed(StateConflict):
    code = "already_claimed"


class CaseNotActive(StateConflict):
    """Resolved and closed cases cannot be claimed, assigned or (closed) answered."""

    code = "case_not_active"


class ReasonRequired(SocialCareError):
    """Resolving or closing a case whose customer is still waiting needs a stated reason."""

    code = "reason_required"


class UnansweredCustomerMessage(SocialCareError):
    """The case cannot wait for the customer while the customer is waiting for the brand."""

    code = "unanswered_customer_message"


class ReplyNotPossible(SocialCareError):
    """The reply cannot be sent as asked (mode, channel, nothing to answer, unsupported attachment)."""

    code = "reply_not_possible"


class UnknownPlaceholder(SocialCareError):
    code = "unknown_placeholder"


class PlaceholderUnavailable(SocialCareError):
    """A canned response needs a value this case does not have (e.g. the customer's name)."""

    code = "placeholder_unavailable"


class IdempotencyKeyReused(SocialCareError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_key_reused"


class ReplyNotQueued(SocialCareError):
    """The reply is stored but could not be handed to the outbound queue; retry with the same key."""

    code = "reply_not_queued"


class HideNotQueued(ReplyNotQueued):
    """The hide is recorded (audited) but could not be handed to the outbound queue; ask again."""

    code = "hide_not_queued"


class HideNotPossible(InvalidRequest):
    """Only a customer's Facebook or Instagram comment can be hidden on the platform."""

    code = "hide_not_possible"


class CaseIsSensitive(SocialCareError):
    """A sensitive case (self-harm, abuse, bereavement) is never set aside as spam or troll."""

    code = "case_is_sensitive"


class MarkerExists(SocialCareError):
    """An agent action's idempotency key is already stored: a request with the same key finished first."""

    code = "idempotency_marker_exists"


class MovedOnByBookkeeping(CaseVersionConflict):
    """An agent action lost its case version to the system's own bookkeeping only (a reply's delivery
    recorded, a read receipt): it is decided again; if it cannot be, it is answered as any version
    conflict (409 ``case_version_conflict``)."""


# --- SLA clock: calendars and policies ----------------------------------------------------------
class InvalidConfig(InvalidRequest):
    """A calendar or SLA policy configuration is refused; ``field`` says where, ``reason`` why."""

    code = "invalid_config"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InvalidCalendar(InvalidConfig):
    code = "invalid_calendar"


class InvalidPolicy(InvalidConfig):
    code = "invalid_policy"


class NoOpenTime(SocialCareError):
    """A business calendar shows no open time where some is needed (closed for over a year)."""

    code = "no_open_time"


# --- the case clock and the follow-up -------------------------------------------------------
class TimerNotStarted(SocialCareError):
    """A timer's Step Functions execution could not be started (refused or failed); the caller retries."""

    code = "timer_not_started"


class CaseClockNotStarted(TimerNotStarted):
    """The case's clock could not be started."""

    code = "case_clock_not_started"


class FollowUpNotStarted(TimerNotStarted):
    """A pending cycle's follow-up could not be started."""

    code = "follow_up_not_started"


class ClockSweepIncomplete(TimerNotStarted):
    """The clock sweep could not start every clock that came due (its watermarks stay before the ones
    that failed: the next run starts them)."""

    code = "clock_sweep_incomplete"


# --- SLA configuration and departments (the admin routes) ----------------------------------------
class InvalidDepartment(InvalidConfig):
    code = "invalid_department"


class ConfigNotFound(SocialCareError):
    """No calendar or department of that name is stored."""

    code = "config_not_found"


class ConfigVersionConflict(StateConflict):
    """The stored configuration is not at the version the write expected (If-Match, or a concurrent
    write got there first); ``current`` is the version it is at (0: nothing stored)."""

    code = "config_version_conflict"


# --- triage ---------------------------------------------------------------------------------
class InvalidRoutingRules(InvalidConfig):
    """A brand's routing rules are refused; ``field`` names where (``rules[2].when.languages[0]``)."""

    code = "invalid_routing_rules"


class InvalidSurgeSettings(InvalidConfig):
    """The surge settings are refused; ``field`` names where (``keywords.outage[1]``)."""

    code = "invalid_surge_settings"


class InvalidPhraseList(InvalidConfig):
    """A sensitive-phrase list is malformed; ``field`` names the file and line (``fr.txt:42``)."""

    code = "invalid_phrase_list"


# --- automated messages and crisis mode ----------------------------------------------------------
class InvalidCrisis(InvalidConfig):
    """A crisis declaration is refused; ``field`` names where (``scope.languages[0]``)."""

    code = "invalid_crisis"


class CrisisEnded(StateConflict):
    """The crisis has ended already (by hand, or its window is over)."""

    code = "crisis_ended"


class HeldMessageDecided(StateConflict):
    """A person released or discarded the held message already."""

    code = "held_message_decided"


class NotificationFailed(SocialCareError):
    """The event bus refused a lead's notification (the failed entry's code and message)."""

    code = "notification_failed"


# --- department escalation (agents/escalations.py, departments/) ---------------------------------
class DepartmentNotFound(SocialCareError):
    """An escalation names a department that is not configured."""

    code = "department_not_found"


class EscalationNotFound(SocialCareError):
    code = "escalation_not_found"


class EscalationOpen(StateConflict):
    """The case already waits for a department: one escalation at a time."""

    code = "escalation_open"


class EscalationClosed(SocialCareError):
    """The escalation was answered already (a link is good once) or cancelled with its case."""

    code = "escalation_closed"


class NotDepartmentMember(Forbidden):
    """Only the department's own people (their team is the department's id) and admins answer for it."""

    code = "not_department_member"


class AnswerLinkInvalid(SocialCareError):
    """A department answer link that this system did not sign (altered, truncated, another key)."""

    code = "answer_link_invalid"


class AnswerLinkExpired(SocialCareError):
    code = "answer_link_expired"


class EscalationNotStarted(SocialCareError):
    """The escalation is stored but its state machine could not be started; retry with the same key."""

    code = "escalation_not_started"
