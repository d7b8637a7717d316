"""Stage configuration: picked by context, overridable per run, a mistake named before anything deploys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from socialcare_infra import paths
from socialcare_infra.config import StageConfigError, context_overrides, load_stage

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def test_both_stages_load_and_prod_keeps_its_data() -> None:
    dev, prod = load_stage("dev"), load_stage("prod")
    assert (dev.removal_policy, dev.deletion_protection) == ("destroy", False)
    assert (prod.removal_policy, prod.deletion_protection, prod.point_in_time_recovery) == ("retain", True, True)
    assert prod.user_pool_mfa == "required"


def test_context_values_override_keys_with_their_types() -> None:
    context = {"stage": "prod", "alarm_email": "ops@example.com", "log_retention_days": "30", "pitr": "x",
               "deletion_protection": "false", "account_teams": '{"1234": "care-uk"}'}  # fmt: skip
    config = load_stage("prod", overrides=context_overrides(context.get))
    assert config.alarm_email == "ops@example.com"
    assert config.log_retention_days == 30
    assert config.deletion_protection is False
    assert dict(config.account_teams) == {"1234": "care-uk"}


def test_the_brands_accounts_are_set_per_stage_and_checked() -> None:
    accounts = '{"meta": ["104729835600142", "106540352242922"], "x": ["2244994945"], "telegram": ["7001"]}'
    config = load_stage("dev", overrides=context_overrides({"brand_accounts": accounts}.get))
    assert dict(config.brand_accounts)["x"] == ["2244994945"]
    for wrong in ('{"myspace": ["1"]}', '{"meta": "104729835600142"}', '{"meta": [""]}'):
        with pytest.raises(StageConfigError, match="brand_accounts"):
            load_stage("dev", overrides=context_overrides({"brand_accounts": wrong}.get))


def test_unknown_stage_names_the_defined_ones() -> None:
    with pytest.raises(StageConfigError, match=r"unknown stage 'staging'.*dev, prod"):
        load_stage("staging")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("log_retention_days", "10", "log_retention_days must be one of"),
        ("removal_policy", "keep", "removal_policy must be 'destroy' or 'retain'"),
        ("deletion_protection", "yes", "deletion_protection=.* is invalid"),
        ("ingest_max_concurrency", "1", "ingest_max_concurrency must be between 2 and 1000"),
        ("alarm_email", "ops", "is not an e-mail address"),
        ("alarm_https_endpoint", "http://pager.example.com/hook", "must be an https:// URL"),
        ("user_pool_mfa", "sms", "user_pool_mfa must be"),
    ],
)
def test_invalid_values_are_refused_with_the_key(key: str, value: str, message: str) -> None:
    with pytest.raises(StageConfigError, match=message):
        load_stage("dev", overrides={key: value})


def test_a_typo_in_the_stages_file_is_refused(tmp_path: Path) -> None:
    stages = tmp_path / "stages.toml"
    text = paths.STAGES_FILE.read_text()
    stages.write_text(text.replace("log_retention_days = 14", "log_retention_dayz = 14"))
    with pytest.raises(StageConfigError, match="unknown keys log_retention_dayz"):
        load_stage("dev", stages_file=stages)


def test_a_wrongly_typed_value_in_the_file_is_refused(tmp_path: Path) -> None:
    stages = tmp_path / "stages.toml"
    stages.write_text('[dev]\nremoval_policy = "destroy"\n', encoding="utf-8")
    with pytest.raises(StageConfigError, match="missing keys"):
        load_stage("dev", stages_file=stages)
    text = paths.STAGES_FILE.read_text()
    stages.write_text(text.replace("log_retention_days = 14", 'log_retention_days = "14"'))
    with pytest.raises(StageConfigError, match="log_retention_days must be int"):
        load_stage("dev", stages_file=stages)


def test_routing_rules_are_optional_and_checked_naming_the_field() -> None:
    assert load_stage("dev").routing_rules == {}
    rules = {"version": 1, "rules": [{"name": "press", "when": {"accounts": ["123"]}, "then": {"team": "pr"}}]}
    assert (
        load_stage("dev", overrides=context_overrides({"routing_rules": json.dumps(rules)}.get)).routing_rules == rules
    )
    wrong = {"version": 1, "rules": [{"name": "press", "when": {}, "then": {"priority": "asap"}}]}
    with pytest.raises(StageConfigError, match=r"routing_rules\.rules\[0\]\.then\.priority"):
        load_stage("dev", overrides=context_overrides({"routing_rules": json.dumps(wrong)}.get))


def test_surge_settings_are_optional_and_checked_naming_the_field() -> None:
    assert load_stage("dev").surges == {}
    surges = {"keywords": {"outage": ["outage", "down"]}, "min_count": 30}
    assert load_stage("dev", overrides=context_overrides({"surges": json.dumps(surges)}.get)).surges == surges
    wrong = {"keywords": {"outage": ["outage"]}, "factor": 0}
    with pytest.raises(StageConfigError, match=r"surges\.factor: must be a number from 1 to 1000"):
        load_stage("dev", overrides=context_overrides({"surges": json.dumps(wrong)}.get))
