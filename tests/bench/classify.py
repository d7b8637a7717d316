"""Triage's classification per message (issue 9): time per message (p50/p99) on realistic short social
texts, its share of the ingest path's time per message, the ingest function's cold start with the
classifiers loaded against without, and the Lambda layer's size when it has been built.

Classification is what ``Triage.read`` does for a message: language (lingua, restricted), sentiment
(VADER and the emoji table) and the sensitive-phrase detector. The cold start is measured in fresh
interpreters (as Lambda's), the import of the ingest handler alone against the import and the first
message classified (the models and phrase lists are loaded on first use).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXTS = (
    "Where is my parcel?? ordered 2 weeks ago 😡",
    "Hola, mi pedido llegó roto, ¿me pueden ayudar?",
    "Meine Bestellung ist nicht angekommen, bitte um Rückruf",
    "Bonjour, je n'arrive pas à me connecter à mon compte",
    "love the new app update, great job team ❤️",
    "smh third time asking, worst service ever",
    "My father passed away last month and I need to close his account",
    "refund pls",
    "is the store open on sunday?",
    "Your courier left my parcel in the rain again, absolutely furious",
)
MESSAGES = 2_000
COLD_RUNS = 5


@dataclass(frozen=True)
class ClassifyFigures:
    p50_ms: float
    p99_ms: float
    cold_import_ms: float  # the ingest handler's import, median
    cold_first_message_ms: float  # the import and the first message classified, median
    layer_mib: float | None  # None: the layer was not built on this machine (make synth builds it)

    @property
    def load_ms(self) -> float:
        return self.cold_first_message_ms - self.cold_import_ms


def _cold_ms(classify_first: bool) -> float:
    code = "import time; t = time.perf_counter(); import handler; "
    if classify_first:
        code += (
            "from socialcare.ingest.triage import Triage; from tests.bench.classify import event; "
            "Triage().read(event('Where is my parcel?? ordered 2 weeks ago')); "
        )
    code += "print((time.perf_counter() - t) * 1000)"
    path = os.pathsep.join(
        p for p in (str(ROOT / "functions" / "ingest"), str(ROOT), os.environ.get("PYTHONPATH")) if p
    )
    env = {**os.environ, "PYTHONPATH": path, "POWERTOOLS_TRACE_DISABLED": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def event(text: str):  # type: ignore[no-untyped-def]
    from socialcare.model.events import Channel, Customer, EventKind, Platform, PlatformEvent

    return PlatformEvent(
        platform=Platform.META,
        event_id="bench",
        kind=EventKind.MESSAGE,
        channel=Channel.MESSENGER,
        account_id="page-1",
        timestamp_ms=1_767_225_600_000,
        customer=Customer("psid-1"),
        message_id="m1",
        text=text,
    )


def _layer_mib() -> float | None:
    site = ROOT / "build" / "layer"
    if not site.is_dir():
        return None
    return sum(f.stat().st_size for f in site.rglob("*") if f.is_file()) / 2**20


def run() -> ClassifyFigures:
    from socialcare.ingest.triage import Triage

    triage = Triage()
    events = [event(text) for text in TEXTS]
    triage.read(events[0])  # the models loaded, as after a process's first message
    times = []
    for i in range(MESSAGES):
        started = time.perf_counter()
        triage.read(events[i % len(events)])
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return ClassifyFigures(
        p50_ms=statistics.median(times),
        p99_ms=times[int(len(times) * 0.99) - 1],
        cold_import_ms=statistics.median(_cold_ms(False) for _ in range(COLD_RUNS)),
        cold_first_message_ms=statistics.median(_cold_ms(True) for _ in range(COLD_RUNS)),
        layer_mib=_layer_mib(),
    )
