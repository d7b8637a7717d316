"""Structured logs for the local stack: one JSON object per line.

Every record carries ``logger``, ``level``, ``message`` and, where there is one, a
``correlation_id`` (the API Gateway request id of an HTTP request, or the batch id of a poller
invocation). Message bodies and secrets are never logged at INFO.

Many threads write at once (servers, pollers, functions), and ``print`` writes a line in two
calls (the text, then the newline), so two functions' metric lines could share one line. Every
stream the stack writes to is wrapped in ``WholeLines``: a thread's text reaches the stream only
as whole lines, each written under one process-wide lock.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

ROOT_LOGGER = "socialcare_local"

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is logged as a field.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


# Held for each write of a whole line, whichever stream it goes to.
_LINE_LOCK = threading.RLock()


class WholeLines(io.TextIOBase):
    """``target``, written only in whole lines: each thread's text is held until its newline, then
    the complete lines are written (and flushed) under one process-wide lock. ``observer`` is handed
    the same complete lines after they are written (the local CloudWatch reads the metric lines)."""

    def __init__(self, target: IO[str], observer: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.target = target
        self._observer = observer
        self._pending = threading.local()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        held = getattr(self._pending, "text", "") + text
        cut = held.rfind("\n") + 1
        if cut:
            with _LINE_LOCK:
                self.target.write(held[:cut])
                self.target.flush()
            if self._observer is not None:
                self._observer(held[:cut])
        self._pending.text = held[cut:]
        return len(text)

    def flush(self) -> None:
        """Flushes the target; a line not ended yet stays held (it would join another thread's)."""
        with _LINE_LOCK:
            self.target.flush()

    def finish(self) -> None:
        """Write what this thread still holds, ended as a line."""
        held = getattr(self._pending, "text", "")
        self._pending.text = ""
        if held:
            self.write(held + "\n")

    def isatty(self) -> bool:
        return bool(getattr(self.target, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self.target.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.target, "encoding", None) or "utf-8")


def whole_lines(stream: IO[str]) -> IO[str]:
    """``stream`` wrapped in ``WholeLines`` (once)."""
    return stream if isinstance(stream, WholeLines) else WholeLines(stream)  # type: ignore[return-value]


class WholeLineOutput:
    """``sys.stdout`` and ``sys.stderr`` in ``WholeLines`` while the stack runs: the functions print
    their metric lines and log through them; ``stdout_observer`` sees every line written to stdout."""

    def __init__(self, stdout_observer: Callable[[str], None] | None = None) -> None:
        self._installed: tuple[IO[str], IO[str]] | None = None
        self._observer = stdout_observer
        self._lock = threading.Lock()

    def observe_stdout(self) -> None:
        """Wrap ``sys.stdout`` again if something replaced the wrapper since ``install`` (pytest puts its
        own capture back between a test's phases): the observer must see every function's lines. The
        stack calls it as each invocation starts."""
        with self._lock:
            if self._installed is None or self._observer is None or sys.stdout is self._installed[0]:
                return
            stdout = WholeLines(sys.stdout, self._observer)
            self._installed = (stdout, self._installed[1])  # type: ignore[assignment]
            sys.stdout = stdout

    def install(self) -> None:
        if self._installed is not None:
            return
        stdout: IO[str] = WholeLines(sys.stdout, self._observer) if self._observer else whole_lines(sys.stdout)  # type: ignore[assignment]
        stderr = whole_lines(sys.stderr)
        self._installed = (stdout, stderr)
        sys.stdout, sys.stderr = stdout, stderr

    def restore(self) -> None:
        """Put back what was there, unless someone has replaced the wrappers since."""
        if self._installed is None:
            return
        stdout, stderr = self._installed
        self._installed = None
        for wrapper in (stdout, stderr):
            if isinstance(wrapper, WholeLines):
                wrapper.finish()
        if sys.stdout is stdout and isinstance(stdout, WholeLines):
            sys.stdout = stdout.target
        if sys.stderr is stderr and isinstance(stderr, WholeLines):
            sys.stderr = stderr.target


def get_logger(name: str) -> logging.Logger:
    """A logger under the local stack's root logger (``socialcare_local.<name>``)."""
    return logging.getLogger(f"{ROOT_LOGGER}.{name}")


def configure(stream: IO[str] | None = None, level: int | str = logging.INFO) -> logging.Handler:
    """Send the local stack's logs to ``stream`` (stdout by default) as JSON lines.

    Idempotent: a second call replaces the handler the first one installed.
    """
    root = logging.getLogger(ROOT_LOGGER)
    for existing in list(root.handlers):
        if getattr(existing, "_socialcare_local", False):
            root.removeHandler(existing)
    handler = logging.StreamHandler(whole_lines(stream or sys.stdout))
    handler.setFormatter(JsonLineFormatter())
    handler._socialcare_local = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    # The in-process AWS server logs every request it serves; that is noise here.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return handler
