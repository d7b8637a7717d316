"""The functions' EMF lines into the local CloudWatch, as CloudWatch Logs extracts them in AWS.

In Lambda a function's metrics are log lines in the embedded metric format (``{"_aws": ...}``) that
CloudWatch Logs turns into metrics; moto sees no logs. The stack hands every whole line its
functions write on stdout to ``EmfCapture.offer``, which keeps the EMF ones; a thread of its own
turns each into PutMetricData calls on moto: one datum per metric and per dimension set the document
declares (its dimension values from the document's keys, a metric's value or list of values),
stamped with the document's timestamp. ``flush`` waits until every line offered so far is stored.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import threading
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from socialcare_local.emulator.logs import get_logger

log = get_logger("emf")

MAX_DATA_PER_REQUEST = 1000  # PutMetricData's limit
MAX_VALUES_PER_DATUM = 150


def metric_data(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(namespace, PutMetricData datum) for each metric of each dimension set of an EMF document."""
    aws = document["_aws"]
    stamp = dt.datetime.fromtimestamp(int(aws["Timestamp"]) / 1000, dt.UTC)
    found = []
    for directive in aws["CloudWatchMetrics"]:
        for names in directive.get("Dimensions") or [[]]:
            dimensions = [{"Name": name, "Value": str(document[name])} for name in names]
            for metric in directive["Metrics"]:
                raw = document.get(metric["Name"])
                values = [float(v) for v in (raw if isinstance(raw, list) else [raw]) if v is not None]
                for start in range(0, len(values), MAX_VALUES_PER_DATUM):
                    datum: dict[str, Any] = {
                        "MetricName": metric["Name"],
                        "Dimensions": dimensions,
                        "Timestamp": stamp,
                        "Values": values[start : start + MAX_VALUES_PER_DATUM],
                    }
                    if metric.get("Unit"):
                        datum["Unit"] = metric["Unit"]
                    found.append((str(directive["Namespace"]), datum))
    return found


def emf_document(line: str) -> dict[str, Any] | None:
    """The EMF document a log line is, if it is one."""
    text = line.strip()
    if not text.startswith('{"_aws"'):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) and "CloudWatchMetrics" in document.get("_aws", {}) else None


class EmfCapture:
    """Offered lines in, metrics out on moto's CloudWatch (``start`` gives it the client)."""

    def __init__(self) -> None:
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._client: Any = None
        self._thread: threading.Thread | None = None
        self.stored = 0  # data stored so far

    def offer(self, text: str) -> None:
        """Whole lines a function wrote; only EMF documents are kept."""
        for line in text.splitlines():
            if line.startswith('{"_aws"'):
                self._lines.put(line)

    def start(self, cloudwatch: Any) -> EmfCapture:
        self._client = cloudwatch
        self._thread = threading.Thread(target=self._store_lines, name="emf-capture", daemon=True)
        self._thread.start()
        return self

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every line offered so far is stored (or given up); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while not self.is_idle():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def is_idle(self) -> bool:
        return self._lines.unfinished_tasks == 0

    def stop(self) -> None:
        if self._thread is not None:
            self._lines.put(None)
            self._thread.join(10)
            self._thread = None

    def _store_lines(self) -> None:
        while True:
            line = self._lines.get()
            try:
                if line is None:
                    return
                self._store(line)
            finally:
                self._lines.task_done()

    def _store(self, line: str) -> None:
        document = emf_document(line)
        if document is None:
            return
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for namespace, datum in metric_data(document):
            by_namespace.setdefault(namespace, []).append(datum)
        for namespace, data in by_namespace.items():
            for start in range(0, len(data), MAX_DATA_PER_REQUEST):
                try:
                    self._client.put_metric_data(
                        Namespace=namespace, MetricData=data[start : start + MAX_DATA_PER_REQUEST]
                    )
                except (BotoCoreError, ClientError):
                    log.warning("metric line not stored", exc_info=True)
                    return
                self.stored += len(data[start : start + MAX_DATA_PER_REQUEST])
