"""The report routes through Chalice's test client, on moto: leads and admins read the accountability
report and the marketing summary (stored as the daily run stored them, or computed), agents get 403,
bad dates 400 — every answer checked against chalice_config/openapi.yaml."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date

import boto3
import pytest
from botocore.exceptions import ClientError
from socialcare.aws.report_store import ReportStore
from socialcare.model.events import Channel
from socialcare.reports.recorder import DayFactRecorder

from tests.agent_api_support import (
    REPORTS_BUCKET,
    T0,
    ApiClient,
    World,
    app_module,
    configured_wiring,
    world_clients,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported in local mode"),
]

TODAY = "2026-01-01"  # T0 is 09:00 UTC that day; the report's time zone is UTC (the default)
LEAD = {"agent": "lena", "role": "lead"}
ADMIN = {"agent": "root", "role": "admin", "teams": ()}


@pytest.fixture
def api(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiClient]:
    wiring = configured_wiring(world, monkeypatch)
    s3 = boto3.client("s3", region_name="us-east-1")
    with contextlib.suppress(ClientError):  # the module's moto session made it for an earlier test
        s3.create_bucket(Bucket=REPORTS_BUCKET)
    for stored in s3.list_objects_v2(Bucket=REPORTS_BUCKET).get("Contents", []):
        s3.delete_object(Bucket=REPORTS_BUCKET, Key=stored["Key"])
    wiring.wire(clients={**world_clients(world), "s3": s3}, clock=world.clock)
    yield ApiClient(app_module().app)
    wiring.wire()


def customers_write(world: World) -> None:
    """Two customers write in, their cases' day facts recorded as the stream consumer records them."""
    recorder = DayFactRecorder(ReportStore(world.table, client=world.aws.dynamodb))
    for user, channel in (("joe", Channel.X_POST), ("ann", Channel.MESSENGER)):
        recorder.case_changed(None, world.writes(channel, user))


def test_agents_are_refused_the_reports(api: ApiClient) -> None:
    for path in ("/reports/accountability", "/reports/marketing"):
        answer = api.get(f"{path}?date={TODAY}")
        assert (answer.status, answer.code) == (403, "forbidden_role")


def test_a_lead_reads_todays_report_computed_with_the_backlog_now(api: ApiClient, world: World) -> None:
    customers_write(world)
    answer = api.get(f"/reports/accountability?date={TODAY}", **LEAD)
    assert answer.status == 200
    assert answer.headers["Report-Source"] == "computed"
    report = answer.json
    assert (report["from"], report["time_zone"], report["totals"]["new_cases"]) == (TODAY, "UTC", 2)
    assert report["backlog"]["total"]["awaiting_answer"] == 2
    assert report["csat"] == "not collected"
    summary = api.get(f"/reports/marketing?date={TODAY}", **ADMIN).json
    assert summary["volume"]["new_cases"] == 2
    assert {row["channel"] for row in summary["channels"]} == {"x_post", "messenger"}
    assert "joe" not in json.dumps(summary)


def test_a_stored_day_is_served_as_stored(api: ApiClient, world: World) -> None:
    from chalicelib import wiring

    customers_write(world)
    wiring.report_service().store_day(date(2026, 1, 1))
    answer = api.get(f"/reports/accountability?date={TODAY}", **ADMIN)
    assert (answer.status, answer.headers["Report-Source"]) == (200, "stored")
    assert answer.json["totals"]["new_cases"] == 2
    world.clock.advance(hours=30)  # the next day: a range is computed, its marketing summary added up
    ranged = api.get("/reports/marketing?from=2025-12-31&to=2026-01-02", **LEAD)
    assert (ranged.status, ranged.headers["Report-Source"]) == (200, "computed")
    assert ranged.json["volume"]["new_cases"] == 2


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("", "give date=YYYY-MM-DD"),
        ("?date=01/01/2026", "date must be a date like"),
        ("?date=2026-01-02", "has not begun yet"),
        ("?from=2025-11-01&to=2026-01-01", "at most 31 days"),
        ("?date=2026-01-01&date=2026-01-01", "once"),
        ("?week=1", "unknown query parameter"),
    ],
)
def test_bad_dates_are_400_with_the_reason(api: ApiClient, query: str, says: str) -> None:
    answer = api.get(f"/reports/accountability{query}", **LEAD)
    assert (answer.status, answer.code) == (400, "invalid_request")
    assert says in answer.json["message"]


def test_t0_is_the_day_the_tests_ask_for() -> None:
    from socialcare.reports.window import local_date

    assert local_date(T0, "UTC").isoformat() == TODAY
