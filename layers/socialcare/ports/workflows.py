"""The workflows' ports: the case clock and the follow-up (SLA timers; ``socialcare.timers``), the
department escalation (``agents/escalations.py``, ``departments/requests.py``), the automated
messages and crisis mode (``socialcare.automated``, ``agents/crisis_admin.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.crisis import HeldMessage
from socialcare.model.escalation import ClockStart
from socialcare.model.events import Channel
from socialcare.model.outbound import OutboundRequest
from socialcare.model.profile import BrandProfile
from socialcare.ports.agents import AgentCommit, EscalationReads, Page, Position

# ---- the case clock and the follow-up (SLA timers; see socialcare/timers) ------------------------


class CaseClocks(Protocol):
    """Where case clocks run: one Step Functions execution per case and generation."""

    def start(self, case_id: str, generation: int, input: Mapping[str, str]) -> None:
        """Start the clock ``case-<case_id>-<generation>`` with ``input``. A clock of that name that
        exists already (running or ended) is left as it is: a duplicate start is success, never a
        second clock. Raises ``CaseClockNotStarted`` when the clock could not be started."""
        ...


@dataclass(frozen=True, slots=True)
class DueClockPage:
    """Case clocks of one shard that came due to start, in start order, each with its position (where
    the sweep's watermark goes once it is started); ``end``: the position of the range's end when the
    page holds all that was in it (``None``: more to read, from the last position)."""

    clocks: tuple[tuple[str, ClockStart], ...]
    end: str | None


class DueClocks(Protocol):
    """The clock index as the sweep reads it: the clocks of the cases awaiting an answer, by shard and
    start time, and how far the sweep has read each shard. Positions are ordered strings."""

    def due(self, shard: int, *, after: str | None, until_ms: int, limit: int) -> DueClockPage:
        """Up to ``limit`` clocks of ``shard`` past the position ``after`` (``None``: from the first)
        whose start time is at most ``until_ms``."""
        ...

    def watermarks(self) -> dict[int, str]:
        """The position the sweep reached in each shard (a shard never read is absent)."""
        ...

    def save_watermarks(self, marks: Mapping[int, str]) -> None:
        """Store the positions of every shard (what was read, with what the run advanced)."""
        ...


class FollowUps(Protocol):
    """Where follow-ups run: one Step Functions execution per case and pending cycle."""

    def start(self, case_id: str, cycle: int, input: Mapping[str, str]) -> None:
        """Start the follow-up ``follow-up-<case_id>-<cycle>`` with ``input``; one of that name that
        exists already (running or ended) is left as it is. Raises ``FollowUpNotStarted`` when it could
        not be started."""
        ...


class CaseStatusWriter(AgentCommit, Protocol):
    """What an automation that changes a case's status needs (the follow-up's auto-resolve): the case,
    and the commit the agents' actions use (case, thread entry and audit record, whole or not at all)."""

    def get_case(self, case_id: str) -> Case:
        """The case; ``CaseNotFound`` when there is none."""
        ...


# ---- department escalation (agents/escalations.py; departments/requests.py) ----------------------------


class EscalationTokens(EscalationReads, Protocol):
    """What the outbound function's department requests need of the escalations."""

    def store_task_token(self, case_id: str, escalation_id: str, *, token: str, round: int, at_ms: int) -> bool:
        """Keep ``token`` as the escalation's callback token, if it is still open and no later round's
        token is stored (a redelivered request of the same round stores the same token again); whether
        it was stored."""
        ...


class DepartmentCallbacks(Protocol):
    """Completing a waiting department escalation (the state machine's ``.waitForTaskToken``)."""

    def succeed(self, task_token: str, output: Mapping[str, str]) -> bool:
        """Complete the wait with the answer; False when the token is no longer waited on (its round
        timed out meanwhile, or the execution ended)."""
        ...

    def fail(self, task_token: str, *, error: str, cause: str) -> bool:
        """End the wait with ``error`` (which the machine catches); False as for ``succeed``."""
        ...


class DepartmentWorkflows(DepartmentCallbacks, Protocol):
    """The department escalation state machine, as the agent API uses it."""

    def start(self, name: str, input: Mapping[str, object]) -> None:
        """Start the execution ``name``; one of that name that exists already is left as it is (a
        duplicate start is success). ``EscalationNotStarted`` when it could not be started."""
        ...


@dataclass(frozen=True, slots=True)
class DepartmentRequestNotice:
    """What the department is told (an event on the project's bus): who, the question and the link —
    never the customer's messages."""

    escalation_id: str
    case_id: str
    department_id: str
    department_name: str
    contacts: tuple[Mapping[str, str], ...]
    question: str
    asked_by_name: str
    round: int
    link: str
    link_expires_at_ms: int


class DepartmentNotifier(Protocol):
    def department_request(self, notice: DepartmentRequestNotice) -> None:
        """Put the request on the bus; ``NotificationFailed`` when it refuses it."""


# ---- automated messages and crisis mode (see socialcare/automated and agents/crisis_admin.py) -----
# The DynamoDB adapter of ``AutomatedStore`` and ``HeldMessages`` is
# ``socialcare.aws.automated_store.AutomatedStore``, its twin ``socialcare.memory.automated``;
# ``tests/contract/test_automated_store.py`` holds both to the same behaviour.


class ProfileReader(Protocol):
    def profile(self, account_id: str) -> BrandProfile | None:
        """The account's stored profile (None: it has none; the defaults apply)."""
        ...


class AutomatedStore(Protocol):
    """What the automated messages need of the table besides the case: the message they answer,
    their own entry, written once, and the case's place in its team's queue."""

    def latest_inbound(self, case_id: str, channel: Channel) -> ThreadEntry | None:
        """The customer's latest message of the case on ``channel`` (its sender and conversation)."""
        ...

    def add_automated(self, entry: ThreadEntry, held: HeldMessage | None) -> bool:
        """Store the entry (and, when a crisis holds it, its held-message item) unless an entry of its
        id is stored already: False then, and nothing written."""
        ...

    def cases_ahead(self, team: str, due_ms: int | None, case_id: str, *, limit: int) -> int:
        """How many active cases of the team's queue come before this one (due earlier), counted up
        to ``limit`` at most."""
        ...


class DeliverNow(Protocol):
    """Sends one stored outbound entry now (the outbound sender) and says what became of it."""

    def __call__(self, request: OutboundRequest) -> str: ...


class HeldMessages(Protocol):
    """The automated messages a crisis holds, as people review them."""

    def held_messages(self, crisis_id: str, *, limit: int, start: Position | None) -> Page[HeldMessage]:
        """The crisis's held messages (whatever became of them), by case and entry."""
        ...

    def held_message(self, crisis_id: str, case_id: str, entry_id: str) -> HeldMessage | None: ...

    def decide_held(self, decided: HeldMessage, audit: AuditRecord) -> None:
        """Record a person's decision (``decided.state`` released or discarded) on the held item and on
        the thread entry (back to PENDING, or DISCARDED), with its audit record, all or nothing;
        ``HeldMessageDecided`` when someone decided first."""
