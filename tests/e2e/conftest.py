"""End-to-end tests: the local stack started in process, spoken to over real HTTP."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    import socialcare_local  # noqa: F401
except ImportError:  # an editable install made before infra/socialcare_local existed does not map it
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "infra"))


@pytest.fixture(scope="module")
def log_lines() -> Iterator[io.StringIO]:
    """The local stack's JSON log lines (its own loggers) while a module's tests run."""
    from socialcare_local.emulator import logs

    stream = io.StringIO()
    handler = logs.configure(stream)
    yield stream
    logging.getLogger(logs.ROOT_LOGGER).removeHandler(handler)
