"""Metric points to CloudWatch with PutMetricData, the ``MetricSink`` port.

One request per 1,000 points (PutMetricData's limit per request), in the project's namespace; a
point's dimensions become the datum's, in their order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from socialcare import constants as c
from socialcare.aws.wiring import lazy_client
from socialcare.model.metrics import MetricPoint

MAX_POINTS_PER_REQUEST = 1000


class CloudWatchMetrics:
    def __init__(self, *, namespace: str = c.METRICS_NAMESPACE, client: Any = None) -> None:
        self._namespace = namespace
        self._client = lazy_client("cloudwatch", client)

    def put(self, points: Sequence[MetricPoint], *, at_ms: int) -> int:
        stamp = dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC)
        data = [datum(point, stamp) for point in points]
        for start in range(0, len(data), MAX_POINTS_PER_REQUEST):
            batch = data[start : start + MAX_POINTS_PER_REQUEST]
            self._client().put_metric_data(Namespace=self._namespace, MetricData=batch)
        return -(-len(data) // MAX_POINTS_PER_REQUEST)


def datum(point: MetricPoint, stamp: dt.datetime) -> dict[str, Any]:
    return {
        "MetricName": point.name,
        "Dimensions": [{"Name": name, "Value": value} for name, value in point.dimensions],
        "Timestamp": stamp,
        "Value": float(point.value),
        "Unit": point.unit.value,
    }
