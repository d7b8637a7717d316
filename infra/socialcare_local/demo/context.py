"""What the demo's steps and checks work with: ``DemoContext`` (the stack, the sandbox, the table, the
care team, the notifications the stack logged), and the scenario's building blocks ``Step``, ``Check``, ``Customer`` and ``AgentReply``."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from socialcare_local.demo.agents import ApiAgent
from socialcare_local.demo.errors import DemoStepFailed
from socialcare_local.demo.notifications import Notification, parse_notifications
from socialcare_local.emulator.inspect_table import CaseView, TableReader
from socialcare_local.sandbox import Delivery, Sandbox
from socialcare_local.sandbox.channels import BrandChannels
from socialcare_local.stack import LocalStack


@dataclass(frozen=True)
class CheckResult:
    name: str
    held: bool
    detail: str = ""


@dataclass(frozen=True)
class Check:
    """Something that must be true once the scenario has run; ``verify`` returns (held, detail)."""

    name: str
    verify: Callable[[DemoContext], tuple[bool, str]]

    def run(self, ctx: DemoContext) -> CheckResult:
        try:
            held, detail = self.verify(ctx)
        except Exception as exc:  # a check that cannot even read the table has not held
            return CheckResult(self.name, False, f"{type(exc).__name__}: {exc}")
        return CheckResult(self.name, held, detail)


@dataclass(frozen=True)
class Step:
    """One thing that happens in the scenario; ``action`` returns a one-line outcome to show."""

    title: str
    action: Callable[[DemoContext], str]
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class Customer:
    """Someone the scenario speaks for, on one brand account (for the summary of their cases)."""

    account_id: str
    user_id: str


# The scenario's messages are dated from this many minutes before the demo runs (a backlog).
SCENARIO_LEAD_MINUTES = 75


@dataclass(frozen=True)
class AgentReply:
    """A reply an agent made through the API (the thread entry it became), for the checks."""

    agent_id: str
    case_id: str
    entry_id: str
    channel: str
    mode: str
    customer: Customer


@dataclass
class DemoContext:
    """What steps and checks work with: the stack, the sandbox, the brand's channels, the table,
    the care team's agents and the replies they made, and the stack's log."""

    stack: LocalStack
    sandbox: Sandbox
    brand: BrandChannels
    reader: TableReader
    started_at_ms: int
    # When the demo ran (its stack had just started): a case clock tier due before it was back-dated.
    ran_at_ms: int = field(default_factory=lambda: time.time_ns() // 1_000_000)
    read_log: Callable[[], str] = lambda: ""  # the stack's JSON log lines so far
    customers: list[Customer] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # what a step leaves for its checks
    agents: dict[str, ApiAgent] = field(default_factory=dict)
    replies: list[AgentReply] = field(default_factory=list)

    def at(self, minutes: float) -> int:
        """A platform timestamp (epoch ms), ``minutes`` after the scenario's start."""
        return self.started_at_ms + int(minutes * 60_000)

    @staticmethod
    def now_ms() -> int:
        """A platform timestamp for something that happens now (after the agents' replies)."""
        return time.time_ns() // 1_000_000

    def settle(self) -> None:
        """Wait until every queued delivery and reply is processed and every echo has come back."""
        self.stack.wait_until_idle()

    def track_reply(self, agent: ApiAgent, answer: dict[str, Any]) -> AgentReply:
        """Remember a reply the API accepted (its 202 document) for the checks and the summary."""
        case, entry = answer["case"], answer["entry"]
        reply = AgentReply(
            agent_id=agent.agent_id,
            case_id=case["case_id"],
            entry_id=entry["entry_id"],
            channel=entry["channel"],
            mode=entry["details"].get("mode", ""),
            customer=Customer(case["account_id"], case["customer"]["user_id"]),
        )
        self.replies.append(reply)
        return reply

    def customer(self, account_id: str | None, user_id: str) -> Customer:
        """Register a customer whose cases the summary shows (in the order they first appear)."""
        if not account_id:
            raise DemoStepFailed("the configuration has no account for this channel")
        who = Customer(account_id, user_id)
        if who not in self.customers:
            self.customers.append(who)
        return who

    def send(self, delivery: Delivery, *, expect: int = 200) -> requests.Response:
        response = self.sandbox.send(delivery)
        if response.status_code != expect:
            raise DemoStepFailed(
                f"{delivery.label or delivery.platform}: HTTP {response.status_code}, expected {expect}: "
                f"{response.text[:200]}"
            )
        return response

    def notifications(self) -> list[Notification]:
        """The case clocks' notifications the stack has logged so far, in order."""
        return [n for n in parse_notifications(self.read_log()) if n.is_case_clock]

    def lead_notices(self, detail_type: str) -> list[Notification]:
        """The other notices of the bus the stack has logged so far (``Sensitive case``), in order."""
        return [n for n in parse_notifications(self.read_log()) if n.detail_type == detail_type]

    def cases(self, who: Customer) -> list[CaseView]:
        return self.reader.customer_cases(who.account_id, [who.user_id])
