"""The local stack's model of Lambda execution environments (each runs one invocation at a time,
module state belongs to one) and its whole-line output (no two writers share a line)."""

from __future__ import annotations

import io
import sys
import threading
from typing import Any

import pytest
from socialcare import constants as c
from socialcare_local.emulator import functions
from socialcare_local.emulator.functions import FunctionEnvironments
from socialcare_local.emulator.logs import WholeLineOutput, WholeLines

pytestmark = pytest.mark.unit


class _Environment:
    """A handler that records, for each invocation, which environment ran it and what else was running."""

    started = 0
    lock = threading.Lock()

    def __init__(self, log: list[tuple[int, int]], gate: threading.Barrier | None) -> None:
        with _Environment.lock:
            _Environment.started += 1
            self.number = _Environment.started
        self.busy = False
        self.log = log
        self.gate = gate

    def __call__(self, event: dict[str, Any], context: Any) -> int:
        assert not self.busy, "two invocations in one environment"
        self.busy = True
        try:
            if self.gate is not None:
                self.gate.wait(timeout=5)
            self.log.append((self.number, event["n"]))
            return self.number
        finally:
            self.busy = False


def test_concurrent_invocations_run_in_environments_of_their_own() -> None:
    log: list[tuple[int, int]] = []
    gate = threading.Barrier(3)
    environments = FunctionEnvironments(lambda: _Environment(log, gate), size=3)

    threads = [threading.Thread(target=environments.invoke, args=({"n": n}, None)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert environments.started == 3
    assert len({number for number, _ in log}) == 3  # three at once: three environments


def test_no_more_environments_than_the_size_and_warm_ones_are_reused() -> None:
    log: list[tuple[int, int]] = []
    environments = FunctionEnvironments(lambda: _Environment(log, None), size=2)

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda n=n: results.append(environments.invoke({"n": n}, None))) for n in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(log) == 20
    assert environments.started <= 2


def test_an_environment_that_fails_to_start_is_not_counted() -> None:
    attempts = []

    def load() -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("import failed")
        return lambda event, context: "ok"

    environments = FunctionEnvironments(load, size=1)
    with pytest.raises(RuntimeError):
        environments.prewarm()
    assert environments.invoke({}, None) == "ok"
    assert environments.started == 1


def test_a_plain_handler_is_one_environment_unless_sized() -> None:
    def handler(event: dict[str, Any], context: Any) -> None:
        return None

    assert FunctionEnvironments.of(handler).size == 1
    assert FunctionEnvironments.of(handler, size=2).size == 2
    environments = FunctionEnvironments.of(handler)
    assert FunctionEnvironments.of(environments) is environments


def test_each_copy_of_a_function_module_has_its_own_state() -> None:
    first = functions.load_function_copy(c.WEBHOOK_FUNCTION)
    second = functions.load_function_copy(c.WEBHOOK_FUNCTION)
    try:
        assert first is not second
        assert first.__name__ != second.__name__
        assert first.app is not second.app  # the resolver that holds the current event
        assert sys.modules[first.__name__] is first
    finally:
        functions.unload(first)
        functions.unload(second)
    assert first.__name__ not in sys.modules


# --- whole lines ------------------------------------------------------------------------------------
def test_a_line_written_in_pieces_is_not_split_by_another_thread() -> None:
    target = io.StringIO()
    out = WholeLines(target)
    out.write('{"service": "webhook"')  # print writes the text, then the newline, in two calls
    other = threading.Thread(target=lambda: out.write('{"service": "ingest"}\n'))
    other.start()
    other.join()
    out.write("}\n")

    assert target.getvalue().splitlines() == ['{"service": "ingest"}', '{"service": "webhook"}']


def test_several_lines_in_one_write_and_a_held_tail_finished_on_restore() -> None:
    target = io.StringIO()
    saved = sys.stdout
    sys.stdout = target  # type: ignore[assignment]
    try:
        output = WholeLineOutput()
        output.install()
        assert isinstance(sys.stdout, WholeLines)
        print("one\ntwo")
        sys.stdout.write("tail")
        assert target.getvalue() == "one\ntwo\n"
        output.restore()
        assert sys.stdout is target
    finally:
        sys.stdout = saved
    assert target.getvalue() == "one\ntwo\ntail\n"
