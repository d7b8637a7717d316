"""``socialcare demo``: a fresh local stack, the scenario played over real HTTP, a readable summary.

The scenario is a list of ``Step`` objects (``demo_scenario.SCENARIO``): customers' steps send what
the platforms would send, through the platform sandbox; the care team's steps (``demo_care_team``)
work the cases through the agent API with tokens the stack issued. Each step carries the ``Check``
objects that must hold once everything has been processed.

The terminal shows progress and the summary (``demo_summary``) only. The stack's logs and the
functions' logs and metric lines (their stdout, as CloudWatch Logs would receive it) go to the log file.
"""

from __future__ import annotations

import contextlib
import io
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import requests
from rich.console import Console
from rich.markup import escape

from socialcare_local.config import LocalConfig
from socialcare_local.inspect_table import CaseView, TableReader
from socialcare_local.logs import JsonLineFormatter
from socialcare_local.logs import configure as configure_stack_logs
from socialcare_local.sandbox import Delivery, Sandbox
from socialcare_local.sandbox.channels import BrandChannels
from socialcare_local.stack import LocalStack

if TYPE_CHECKING:
    from socialcare_local.demo_agents import ApiAgent

DEFAULT_LOG_FILE = Path("local-data") / "demo.log"
_CORE_LOGGER = "socialcare"


class DemoStepFailed(RuntimeError):
    """A step saw something the scenario did not expect (an unexpected HTTP status...)."""


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
    the care team's agents and the replies they made."""

    stack: LocalStack
    sandbox: Sandbox
    brand: BrandChannels
    reader: TableReader
    started_at_ms: int
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

    def cases(self, who: Customer) -> list[CaseView]:
        return self.reader.customer_cases(who.account_id, [who.user_id])


# --- running --------------------------------------------------------------------------------------
def run_demo(
    config: LocalConfig,
    *,
    log_file: Path | str | None,
    keep_running: bool,
    console: Console | None = None,
    scenario: Sequence[Step] | None = None,
) -> int:
    """Run the scenario on a fresh stack; 0 when every step ran and every check held, else 1."""
    from socialcare_local.demo_scenario import SCENARIO
    from socialcare_local.demo_summary import print_summary

    steps = list(SCENARIO if scenario is None else scenario)
    if console is None:
        console = Console(file=sys.stdout)  # bound now, before stdout goes to the log file
        if not console.is_terminal:
            console.width = 150
    log_path = Path(log_file) if log_file is not None else DEFAULT_LOG_FILE
    log_path.parent.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]socialcare demo[/] — {len(steps)} steps on a fresh local stack; logs in {log_path}")
    steps_ok, results = False, []
    with _LogSink(log_path) as sink, _logs_to(sink):
        with console.status("starting the local stack…"):
            stack = LocalStack(config).start()
        try:
            console.print(
                f"[green]✓[/] local stack up: webhooks {stack.webhook_base_url}, agent API {stack.api_base_url}, "
                f"AWS {stack.aws_endpoint_url}"
            )
            sandbox = stack.sandbox()
            ctx = DemoContext(
                stack=stack,
                sandbox=sandbox,
                brand=BrandChannels(sandbox),
                reader=TableReader(stack.client("dynamodb"), stack.resources.table_name),
                # 75 minutes ago, on the minute: the first public posts are past their 60-minute target
                # by the time the agents start, as in a real backlog.
                started_at_ms=(int(time.time()) // 60 - 75) * 60_000,
            )
            try:
                steps_ok = _run_steps(ctx, steps, console)
                results = [check.run(ctx) for step in steps for check in step.checks]
                print_summary(ctx, results, console)
                if keep_running:
                    _serve_until_stopped(stack, console)
            finally:
                for agent in ctx.agents.values():
                    agent.close()
                sandbox.close()
        finally:
            stack.stop()
    failed: list[CheckResult] = [r for r in results if not r.held]
    if not steps_ok or failed:
        console.print(f"[bold red]demo failed[/]: {len(failed)} check(s) did not hold; details in {log_path}")
        return 1
    return 0


def _run_steps(ctx: DemoContext, steps: Sequence[Step], console: Console) -> bool:
    ok = True
    for number, step in enumerate(steps, start=1):
        started = time.monotonic()
        with console.status(f"[{number}/{len(steps)}] {step.title}…"):
            try:
                outcome = step.action(ctx)
                ctx.stack.wait_until_idle()
            except Exception as exc:
                ok = False
                logging.getLogger("socialcare_local.demo").exception("demo step failed", extra={"step": step.title})
                console.print(f"[red]✗[/] {escape(step.title)}: [red]{escape(str(exc))}[/]")
                continue
        elapsed = time.monotonic() - started
        console.print(f"[green]✓[/] {escape(step.title)} [dim]— {escape(outcome)} ({elapsed:.1f} s)[/]")
    return ok


def _serve_until_stopped(stack: LocalStack, console: Console) -> None:
    from socialcare_local.cli import print_endpoints

    print_endpoints(stack, file=console.file)
    stopping = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    with contextlib.suppress(KeyboardInterrupt):
        while not stopping.wait(0.5):
            pass


# --- where the logs go ----------------------------------------------------------------------------
class _LogSink(io.TextIOBase):
    """The log file, shared by every thread; writes after the demo ends are dropped, not errors.

    Function modules stay loaded after the demo (their loggers keep this stream), so a closed
    file must not turn their next log line into an exception.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._file: IO[str] | None = path.open("w", encoding="utf-8")

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            if self._file is not None:
                self._file.write(text)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def __enter__(self) -> _LogSink:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


@contextlib.contextmanager
def _logs_to(sink: _LogSink) -> Iterator[None]:
    """Stack logs, core logs, and the functions' stdout/stderr (logs, EMF metrics) into ``sink``."""
    stack_logger = logging.getLogger("socialcare_local")
    saved_stack = (stack_logger.level, stack_logger.propagate)
    stack_handler = configure_stack_logs(cast(IO[str], sink))
    core = logging.getLogger(_CORE_LOGGER)
    core_handler = logging.StreamHandler(sink)
    core_handler.setFormatter(JsonLineFormatter())
    saved = (core.level, core.propagate)
    core.addHandler(core_handler)
    core.setLevel(logging.INFO)
    core.propagate = False
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            yield
    finally:
        stack_logger.removeHandler(stack_handler)
        stack_logger.setLevel(saved_stack[0])
        stack_logger.propagate = saved_stack[1]
        core.removeHandler(core_handler)
        core.setLevel(saved[0])
        core.propagate = saved[1]
