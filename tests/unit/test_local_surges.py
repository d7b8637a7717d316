"""The local stack's surges: the config file's [surges] table (checked as the functions check
SURGE_SETTINGS, errors naming the field) and the schedule runner that stands in for the 5-minute schedule."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from socialcare_local.config import DEFAULT_SURGE_CHECK_S, ConfigError, config_from_dict, load_config
from socialcare_local.emulator.schedules import ScheduleRunner

pytestmark = pytest.mark.unit


def with_surges(table: Any) -> dict[str, Any]:
    return {"accounts": {"brand_name": "Acme"}, "surges": table}


def test_the_surges_table_gives_the_settings_and_the_local_period() -> None:
    config = config_from_dict(with_surges({"keywords": {"outage": ["down"]}, "min_count": 5, "check_every_seconds": 2}))
    assert config.surges is not None
    assert (config.surges.min_count, config.surge_check_every_s) == (5, 2.0)
    assert config.surges.to_config()["keywords"] == {"outage": ["down"]}
    default = load_config(None)
    assert (default.surges, default.surge_check_every_s) == (None, DEFAULT_SURGE_CHECK_S)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"factor": 0}, r"\[surges\]: factor: must be a number from 1 to 1000"),
        ({"keywords": {"outage": [".. down"]}}, r"\[surges\]: keywords\.outage\[0\]"),
        ({"check_every_seconds": 0}, r"\[surges\] check_every_seconds"),
        ("often", r"\[surges\] must be a table"),
    ],
)
def test_a_bad_surges_table_is_refused_naming_the_field(table: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(with_surges(table))


def test_a_scheduled_function_is_invoked_on_time_as_the_scheduler_does_and_a_failed_run_does_not_stop_it() -> None:
    calls: list[tuple[dict[str, Any], Any]] = []
    third = threading.Event()

    def handler(event: dict[str, Any], context: Any) -> str:
        calls.append((event, context))
        if len(calls) >= 3:
            third.set()
        if len(calls) == 1:
            raise RuntimeError("the bus refused")
        return "ok"

    runner = ScheduleRunner()
    runner.add_function("surge", handler, function_name="socialcare-local-surge", every_s=0.05, timeout_s=60)
    runner.start()
    try:
        assert third.wait(5)
    finally:
        runner.stop()
    schedule = runner.schedule("surge")
    assert schedule.failures == 1
    assert schedule.runs >= 3
    assert {(e["source"], e["detail-type"]) for e, _ in calls} == {("aws.scheduler", "Scheduled Event")}
    assert {ctx.function_name for _, ctx in calls} == {"socialcare-local-surge"}
    assert 50_000 < calls[0][1].get_remaining_time_in_millis() <= 60_000, "the function's timeout"
    assert runner.run_now("surge") == "ok"
    with pytest.raises(ValueError, match="must be positive"):
        runner.add_function("x", handler, function_name="x", every_s=0)
