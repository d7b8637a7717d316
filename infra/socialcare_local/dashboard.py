"""``socialcare dashboard``: a dashboard of ``socialcare_infra.dashboards`` drawn from a local stack.

The widgets are the ones the CDK app deploys (``socialcare_infra.dashboards``); the figures come
from the stack's CloudWatch (moto), where the stack stores its functions' EMF lines and the metrics
function's PutMetricData. ``read_dashboard`` reads each widget's series with ListMetrics and
GetMetricData; ``render`` writes ``<key>.png`` (matplotlib, Agg: one graph per widget) and
``<key>.html`` (the image and a table of each line's latest value) into a folder.

A series split by a dimension becomes one line per value found (CloudWatch's SEARCH does the same);
a total is read by its ``service`` dimension. A total with no dimension at all is refused: moto's
GetMetricData matches a query without dimensions to every metric of that name, whatever its
dimensions, which would add the rollups together.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from socialcare import constants as c
from socialcare_infra import dashboards
from socialcare_infra.dashboards import Attainment, Dashboard, Series, Widget

MAX_QUERIES = 500  # GetMetricData's limit per request
COLUMNS = 3

Point = tuple[dt.datetime, float]


@dataclass(frozen=True)
class Line:
    label: str
    points: tuple[Point, ...]

    @property
    def latest(self) -> Point | None:
        return max(self.points, default=None)


@dataclass(frozen=True)
class Panel:
    widget: Widget
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Rendered:
    folder: Path
    png: Path
    html: Path


def read_dashboard(cloudwatch: Any, board: Dashboard, *, start: dt.datetime, end: dt.datetime) -> list[Panel]:
    """Every widget's lines between ``start`` and ``end``, at the widget's period."""
    panels = []
    for widget in board.widgets:
        lines: list[Line] = []
        for series in widget.series:
            lines += _read(cloudwatch, series, widget.period_s, start, end)
        panels.append(Panel(widget, tuple(lines)))
    return panels


def _read(
    cloudwatch: Any, series: Series | Attainment, period_s: int, start: dt.datetime, end: dt.datetime
) -> list[Line]:
    if isinstance(series, Attainment):
        met, missed = _values(
            cloudwatch, [(s, _dimensions(s)) for s in (series.met, series.missed)], period_s, start, end
        )
        counted = {at: (met.get(at, 0.0), met.get(at, 0.0) + missed.get(at, 0.0)) for at in {*met, *missed}}
        share = tuple((at, 100 * kept / total) for at, (kept, total) in sorted(counted.items()) if total)
        return [Line(series.label, share)] if share else []
    found = [_dimensions(series)] if series.by is None else _split(cloudwatch, series)
    values = _values(cloudwatch, [(series, dims) for dims in found], period_s, start, end)
    lines = []
    for dims, by_time in zip(found, values, strict=True):
        label = " ".join(part for part in (series.label, dims.get(series.by or "", "")) if part) or series.metric
        lines.append(Line(label, tuple(sorted(by_time.items()))))
    return lines


def _dimensions(series: Series) -> dict[str, str]:
    if series.by is None and series.service is None:
        raise ValueError(f"{series.metric}: a total without dimensions cannot be read from the local CloudWatch")
    return {"service": series.service} if series.service else {}


def _split(cloudwatch: Any, series: Series) -> list[dict[str, str]]:
    """The dimension values of the series' metrics (its exact dimension names; its service, if any)."""
    found: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for page in cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=c.METRICS_NAMESPACE, MetricName=series.metric
    ):
        for metric in page["Metrics"]:
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            if tuple(sorted(dims)) == series.dimension_names and dims.get("service") == series.service:
                found[tuple(sorted(dims.items()))] = dims
    return [found[key] for key in sorted(found, key=lambda key: dict(key).get(series.by or "", ""))]


def _values(
    cloudwatch: Any,
    wanted: Sequence[tuple[Series, dict[str, str]]],
    period_s: int,
    start: dt.datetime,
    end: dt.datetime,
) -> list[dict[dt.datetime, float]]:
    queries = [
        {
            "Id": f"q{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": c.METRICS_NAMESPACE,
                    "MetricName": series.metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dims.items())],
                },
                "Period": period_s,
                "Stat": series.stat,
            },
        }
        for i, (series, dims) in enumerate(wanted)
    ]
    results: dict[str, dict[dt.datetime, float]] = {}
    for first in range(0, len(queries), MAX_QUERIES):
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=queries[first : first + MAX_QUERIES], StartTime=start, EndTime=end
        )
        for result in answer["MetricDataResults"]:
            stamps = [_utc(t) for t in result["Timestamps"]]
            results[result["Id"]] = {
                t: float(v) for t, v in zip(stamps, result["Values"], strict=True) if v is not None
            }
    return [results.get(f"q{i}", {}) for i in range(len(queries))]


def _utc(stamp: dt.datetime) -> dt.datetime:
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


# --- rendering --------------------------------------------------------------------------------------------
def render(
    board: Dashboard,
    panels: Sequence[Panel],
    folder: Path,
    *,
    window: tuple[dt.datetime, dt.datetime],
    generated_at: dt.datetime,
) -> Rendered:
    """Write ``<key>.png`` and ``<key>.html`` into ``folder``; the graphs span ``window`` (UTC)."""
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{board.key}.png"
    page = folder / f"{board.key}.html"
    _draw(board, panels, png, window)
    page.write_text(html_page(board, panels, png.name, generated_at=generated_at), encoding="utf-8")
    return Rendered(folder, png, page)


def _draw(board: Dashboard, panels: Sequence[Panel], path: Path, window: tuple[dt.datetime, dt.datetime]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure

    rows = max(1, math.ceil(len(panels) / COLUMNS))
    figure = Figure(figsize=(6 * COLUMNS, 3.4 * rows), layout="constrained")
    axes = list(figure.subplots(rows, COLUMNS, squeeze=False).flat)
    for ax, panel in zip(axes, panels, strict=False):
        ax.set_title(panel.widget.title, fontsize=11)
        ax.set_ylabel(panel.widget.unit)
        ax.set_xlim(*window)
        ax.xaxis.set_major_locator(AutoDateLocator(tz=dt.UTC, minticks=4, maxticks=8))  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_formatter(DateFormatter("%H:%M", tz=dt.UTC))  # type: ignore[no-untyped-call]
        for line in panel.lines:
            if line.points:
                ax.plot(
                    [p[0] for p in line.points], [p[1] for p in line.points], marker="o", markersize=3, label=line.label
                )
        if any(line.points for line in panel.lines):
            ax.legend(fontsize=7, loc="upper left")
            ax.set_ylim(bottom=0)
        else:
            ax.text(0.5, 0.5, "no data yet", ha="center", va="center", transform=ax.transAxes, color="grey")
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    figure.suptitle(f"{board.title} (UTC)")
    figure.savefig(path, dpi=80)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def latest_rows(panels: Iterable[Panel]) -> list[tuple[str, str, str, str, str]]:
    """(widget, line, latest value, unit, at) for every line with data: what the page's table shows."""
    rows = []
    for panel in panels:
        for line in panel.lines:
            latest = line.latest
            if latest is not None:
                at, value = latest
                rows.append((panel.widget.title, line.label, _number(value), panel.widget.unit, f"{at:%H:%M}"))
    return rows


def html_page(board: Dashboard, panels: Sequence[Panel], image: str, *, generated_at: dt.datetime) -> str:
    esc = html.escape
    rows = "\n".join(
        f'<tr data-widget="{esc(w)}" data-line="{esc(label)}" data-value="{esc(value)}">'
        f"<td>{esc(w)}</td><td>{esc(label)}</td><td class=num>{esc(value)}</td><td>{esc(unit)}</td><td>{esc(at)}</td></tr>"
        for w, label, value, unit, at in latest_rows(panels)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(board.title)}</title>
<style>body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.25em .6em;text-align:left}} td.num{{text-align:right}}</style></head>
<body><h1>{esc(board.title)}</h1>
<p>Drawn {generated_at:%Y-%m-%d %H:%M:%S} UTC from the local stack's CloudWatch, with the widgets the CDK app deploys
as <code>socialcare-{esc(board.key)}-&lt;stage&gt;</code>.</p>
<img src="{esc(image)}" alt="{esc(board.title)}" style="max-width:100%">
<h2>Latest values</h2>
<table id="latest"><thead><tr><th>widget</th><th>line</th><th>latest</th><th>unit</th><th>at (UTC)</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""


def draw_dashboard(
    cloudwatch: Any,
    folder: Path,
    *,
    board: Dashboard = dashboards.CARE_FLOOR,
    minutes: int = 60,
    now: dt.datetime | None = None,
) -> Rendered:
    """Read the last ``minutes`` of ``board`` from the local CloudWatch and render it into ``folder``."""
    now = now or dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(minutes=minutes)
    # A period's datapoint is stamped with its start: read from the period that holds ``start``.
    panels = read_dashboard(cloudwatch, board, start=start - dt.timedelta(minutes=1), end=now + dt.timedelta(minutes=1))
    window = (start - dt.timedelta(minutes=1), now + dt.timedelta(minutes=1))
    return render(board, panels, folder, window=window, generated_at=now)
