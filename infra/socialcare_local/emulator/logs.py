"""Structured logs for the local stack: one JSON object per line.

Every record carries ``logger``, ``level``, ``message`` and, where there is one, a
``correlation_id`` (the API Gateway request id of an HTTP request, or the batch id of a poller
invocation). Message bodies and secrets are never logged at INFO.
"""

from __future__ import annotations

import json
import logging
import sys
import time
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
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonLineFormatter())
    handler._socialcare_local = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    # The in-process AWS server logs every request it serves; that is noise here.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return handler
