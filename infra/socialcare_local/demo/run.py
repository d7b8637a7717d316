"""Running ``socialcare demo``: a fresh local stack, the scenario's steps in order, the checks, the summary,
and last the care-floor dashboard drawn from what the scenario did (``socialcare dashboard``'s renderer).

The terminal shows progress and the summary (``summary``) only. The stack's logs and the
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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, cast

from rich.console import Console
from rich.markup import escape

from socialcare_local.config import LocalConfig
from socialcare_local.demo.context import SCENARIO_LEAD_MINUTES, CheckResult, DemoContext, Step
from socialcare_local.demo.department import with_demo_department
from socialcare_local.demo.escalation import with_demo_targets
from socialcare_local.demo.scenario import SCENARIO
from socialcare_local.demo.summary import print_summary
from socialcare_local.demo.triage import with_demo_routing
from socialcare_local.emulator.inspect_table import TableReader
from socialcare_local.emulator.logs import JsonLineFormatter, whole_lines
from socialcare_local.emulator.logs import configure as configure_stack_logs
from socialcare_local.endpoints import print_endpoints
from socialcare_local.sandbox.channels import BrandChannels
from socialcare_local.stack import LocalStack

DEFAULT_LOG_FILE = Path("local-data") / "demo.log"
DASHBOARD_MINUTES = 5  # the demo's whole run, and a little before it
_CORE_LOGGER = "socialcare"


# --- running --------------------------------------------------------------------------------------
def run_demo(
    config: LocalConfig,
    *,
    log_file: Path | str | None,
    keep_running: bool,
    console: Console | None = None,
    scenario: Sequence[Step] | None = None,
) -> int:
    """Run the scenario on a fresh stack; 0 when every step ran and every check held, else 1.

    The stack runs ``config`` with the demo's own short X DM response target (``escalation``), so
    the case clock warns and breaches within seconds; every other target is the configured one; and
    with the demo's customer lists and journalists rule added to its routing rules (``triage``), and
    with a billing department when it configures none (``department``).
    """
    steps = list(SCENARIO if scenario is None else scenario)
    config = with_demo_department(with_demo_routing(with_demo_targets(config)))
    if console is None:
        console = Console(file=sys.stdout)  # bound now, before stdout goes to the log file
        if not console.is_terminal:
            console.width = 170
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
                # SCENARIO_LEAD_MINUTES ago, on the minute: the first public posts are past their 60-minute target
                # by the time the agents start, as in a real backlog.
                started_at_ms=(int(time.time()) // 60 - SCENARIO_LEAD_MINUTES) * 60_000,
                read_log=sink.text,
            )
            try:
                steps_ok = _run_steps(ctx, steps, console)
                results = [check.run(ctx) for step in steps for check in step.checks]
                print_summary(ctx, results, console)
                steps_ok = _write_dashboard(stack, log_path.parent / "dashboard", console) and steps_ok
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


def _write_dashboard(stack: LocalStack, folder: Path, console: Console) -> bool:
    """The metrics function's last run now, then the care floor drawn from the stack's CloudWatch."""
    from socialcare_local.dashboard import draw_dashboard

    try:
        with console.status("drawing the care-floor dashboard…"):
            stack.publish_metrics()
            drawn = draw_dashboard(stack.client("cloudwatch"), folder, minutes=DASHBOARD_MINUTES)
    except Exception as exc:
        logging.getLogger("socialcare_local.demo").exception("dashboard not drawn")
        console.print(f"[red]✗[/] care-floor dashboard not drawn: [red]{escape(str(exc))}[/]")
        return False
    console.print(f"[bold]Care-floor dashboard[/] (socialcare dashboard): {escape(str(drawn.png))}")
    console.print(f"  and its page with the latest values: {escape(str(drawn.html))}")
    return True


def _serve_until_stopped(stack: LocalStack, console: Console) -> None:
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
        self._path = path
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

    def text(self) -> str:
        """Everything written so far (the demo's checks and summary read the stack's notifications)."""
        self.flush()
        return self._path.read_text(encoding="utf-8")

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
    core_handler = logging.StreamHandler(whole_lines(cast(IO[str], sink)))
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
