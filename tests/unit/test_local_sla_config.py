"""The local config file's [[calendars]], [policies] and [[departments]] tables: validated at start as
the agent API validates them (errors name the field, exit 2), normalised as it stores them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from socialcare.model.config import ConfigKind
from socialcare_local.cli import main
from socialcare_local.config import EXAMPLE_CONFIG_PATH, ConfigError, config_from_dict, load_config

from tests.sla_config_support import ALWAYS, BERLIN, BILLING

pytestmark = pytest.mark.unit

POLICIES = {"default": {"calendar": "berlin-office", "match": {}, "targets_minutes": {"first_response": 60}}}


def test_the_example_file_holds_the_demo_sla_configuration() -> None:
    documents = load_config(EXAMPLE_CONFIG_PATH).sla_documents
    assert [(kind, name) for kind, name, _ in documents] == [
        (ConfigKind.CALENDAR, "berlin-office"),
        (ConfigKind.CALENDAR, "always"),
        (ConfigKind.SLA_POLICIES, "policies"),
        (ConfigKind.DEPARTMENT, "billing"),
        (ConfigKind.DEPARTMENT, "engineering"),
    ]
    berlin = documents[0][2]
    assert berlin["holidays"] == {"country": "DE", "subdivision": "BE", "observed": True}
    policies: Any = documents[2][2]
    assert [p["name"] for p in policies["policies"]] == ["default", "whatsapp-urgent"]
    assert policies["policies"][1]["match"] == {"channel": "whatsapp", "priority": "urgent"}


def test_the_built_in_defaults_have_no_sla_tables() -> None:
    assert load_config(None).sla_documents == ()


def test_toml_dates_are_taken_as_iso_dates() -> None:
    import datetime as dt

    config = config_from_dict({"calendars": [{**BERLIN, "closed_dates": [dt.date(2026, 12, 24)]}]})
    assert config.sla_documents[0][2]["closed_dates"] == ["2026-12-24"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"calendars": [{**BERLIN, "hours": {"mon": ["9-5"]}}]}, "calendars[0].hours.mon[0]"),
        ({"calendars": [BERLIN, BERLIN]}, "calendars[1].name: 'berlin-office' is defined twice"),
        ({"calendars": {"name": "x"}}, "[[calendars]]"),
        ({"calendars": [ALWAYS], "policies": POLICIES}, "policies[0].calendar: no calendar named 'berlin-office'"),
        (
            {"calendars": [BERLIN], "policies": {"default": {**POLICIES["default"], "match": {"channel": "fax"}}}},
            "policies[0].match.channel",
        ),
        ({"calendars": [BERLIN], "policies": {}}, "[policies.<name>]"),
        ({"departments": [{**BILLING, "id": "billing", "manager": {"name": "Mia"}}]}, "departments[0].manager"),
        ({"departments": [{**BILLING, "id": "billing"}, {**BILLING, "id": "billing"}]}, "defined twice"),
        ({"sla_admin": {}}, "unknown table"),
    ],
)
def test_an_invalid_sla_table_names_the_field(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from_dict(doc)
    assert message in str(raised.value)


def test_the_stack_refuses_to_start_on_an_invalid_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "local.toml"
    config.write_text('[[calendars]]\nname = "berlin-office"\ntime_zone = "Mars/Olympus"\n', encoding="utf-8")
    assert main(["local", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "calendars[0].time_zone" in err


def test_the_routing_table_is_stored_after_the_sla_documents_as_version_1() -> None:
    routing = {
        "version": 5,
        "lists": {"vip": ["x:@ana_runs"]},
        "rules": [{"name": "vip", "when": {"customer_in": ["vip"]}, "then": {"priority": "high"}}],
    }
    config = config_from_dict({"calendars": [ALWAYS], "routing": routing})
    kinds = [(kind, name) for kind, name, _ in config.stored_documents]
    assert kinds == [(ConfigKind.CALENDAR, "always"), (ConfigKind.ROUTING_RULES, "rules")]
    stored: Any = config.stored_documents[-1][2]
    assert (stored["version"], stored["rules"][0]["name"], stored["lists"]) == (1, "vip", {"vip": ["x:@ana_runs"]})
    assert load_config(None).stored_documents == ()
