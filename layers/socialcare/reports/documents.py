"""Where a day's reports are stored and in which form: JSON and CSV, partitioned by date for Athena.

Each prefix below holds one kind of file, so each is one Athena table, partitioned by ``dt``:

==============================================================  ==========================================
key                                                             what
==============================================================  ==========================================
``reports/accountability/dt=YYYY-MM-DD/accountability.json``    the whole accountability report, one line
``reports/accountability-rows/dt=YYYY-MM-DD/rows.csv``          one row per total, team, channel and agent,
                                                                with the backlog at the day's end
``reports/leaderboard/dt=YYYY-MM-DD/leaderboard.csv``           the balanced leaderboard, component by
                                                                component
``reports/marketing/dt=YYYY-MM-DD/marketing.json``              the marketing summary, one line
==============================================================  ==========================================

JSON documents are written on one line (what Athena's JSON SerDe reads); CSV has a header row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from socialcare import constants as c

REPORTS_PREFIX = c.REPORTS_KEY_PREFIX
ACCOUNTABILITY = "accountability"
MARKETING = "marketing"


def accountability_key(day: date) -> str:
    return f"{REPORTS_PREFIX}accountability/dt={day.isoformat()}/accountability.json"


def rows_key(day: date) -> str:
    return f"{REPORTS_PREFIX}accountability-rows/dt={day.isoformat()}/rows.csv"


def leaderboard_key(day: date) -> str:
    return f"{REPORTS_PREFIX}leaderboard/dt={day.isoformat()}/leaderboard.csv"


def marketing_key(day: date) -> str:
    return f"{REPORTS_PREFIX}marketing/dt={day.isoformat()}/marketing.json"


def document_key(kind: str, day: date) -> str:
    return accountability_key(day) if kind == ACCOUNTABILITY else marketing_key(day)


def json_line(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, sort_keys=False, separators=(",", ":")) + "\n").encode()


def _flat(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for name, inner in value.items():
            yield from _flat(f"{prefix}_{name}" if prefix else str(name), inner)
    else:
        yield prefix, value


DIMENSIONS = (("teams", "team"), ("channels", "channel"), ("agents", "agent"))


def _dimension_rows(document: Mapping[str, Any]) -> Iterator[tuple[str, Any, Mapping[str, Any]]]:
    yield "total", None, document["totals"]
    for section, key in DIMENSIONS:
        for row in document[section]:
            yield key, row[key], {name: value for name, value in row.items() if name != key}


def _backlog_of(document: Mapping[str, Any]) -> dict[tuple[str, Any], Mapping[str, Any]]:
    backlog = document.get("backlog")
    if not backlog:
        return {}
    found: dict[tuple[str, Any], Mapping[str, Any]] = {("total", None): backlog["total"]}
    for section, key in DIMENSIONS:
        for row in backlog[section]:
            found[(key, row[key])] = {name: value for name, value in row.items() if name != key}
    return found


EMPTY_BACKLOG = {"open": None, "awaiting_answer": None, "overdue": None, "oldest_waiting_s": None}


def accountability_csv(document: Mapping[str, Any]) -> str:
    """Every total, team, channel and agent row of the report, flattened, with its backlog."""
    backlog = _backlog_of(document)
    rows: list[dict[str, Any]] = []
    keys = {(dimension, key) for dimension, key, _ in _dimension_rows(document)}
    extra = [(dimension, key) for dimension, key in backlog if (dimension, key) not in keys]
    for dimension, key, figures in [*_dimension_rows(document), *((d, k, {}) for d, k in extra)]:
        row: dict[str, Any] = {"from": document["from"], "to": document["to"], "dimension": dimension, "key": key}
        row.update(_flat("", figures) if figures else {})
        row.update(_flat("backlog", backlog.get((dimension, key), EMPTY_BACKLOG)))
        rows.append(row)
    return _csv(rows)


def leaderboard_csv(document: Mapping[str, Any]) -> str:
    rows = []
    for entry in document["leaderboard"]["entries"]:
        row: dict[str, Any] = {"from": document["from"], "to": document["to"]}
        row.update({name: entry[name] for name in ("rank", "agent", "score")})
        for name, component in entry["components"].items():
            row.update({f"{name}_{field}": component[field] for field in ("value", "weight", "points")})
        row.update(_flat("", entry["shown_not_scored"]))
        rows.append(row)
    return _csv(rows)


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    columns: list[str] = []
    for row in rows:
        columns += [name for name in row if name not in columns]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: "" if value is None else value for name, value in row.items()})
    return out.getvalue()
