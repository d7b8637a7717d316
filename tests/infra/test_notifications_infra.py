"""Notifications in the app: rules on the project's bus send the case clock's escalations and sensitive
cases to a TLS-only topic (e-mail/SMS subscriptions) and, where configured, to a chat webhook through an
API destination whose key comes from a secret; what cannot be delivered lands in a dead-letter queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from socialcare.model.department_escalation import (
    DEPARTMENT_ANSWERED,
    DEPARTMENT_REQUEST,
    MANAGER_ESCALATION,
    UPDATE_REMINDER,
)
from socialcare.model.escalation import DETAIL_TYPES, EVENT_SOURCE
from socialcare.model.notices import SENSITIVE_CASE, SURGE_DETECTED
from socialcare_infra.config import StageConfigError, context_overrides, load_stage

from tests.infra.conftest import Synthesised
from tests.infra.helpers import ref_id, role_statements

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

RULE = "AWS::Events::Rule"
TOPIC = "AWS::SNS::Topic"
CONFIGURED = {
    "notification_email": "leads@example.com",
    "notification_sms": "+447700900123",
    "chat_webhook_url": "https://chat.example.com/hooks/care",
}


@pytest.fixture(scope="session")
def configured(layer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    """The dev stage with every notification setting given on the command line (cdk-nag runs too)."""
    from socialcare_infra.stack import Sources
    from socialcare_infra.synth import synthesise

    outdir = tmp_path_factory.mktemp("cdk-notify")
    result = synthesise("dev", outdir, CONFIGURED, sources=Sources(layer_dir=layer_dir))
    return Synthesised("dev", json.loads(result.template_path.read_text()), result.template_path, outdir, result.stack)


def topic_id(synth: Synthesised) -> str:
    [found] = [
        k for k, v in synth.properties(TOPIC).items() if v["TopicName"] == f"socialcare-notifications-{synth.stage}"
    ]
    return found


def rules(synth: Synthesised) -> dict[tuple[str, ...], dict[str, Any]]:
    """The rules on the project's bus, by the detail-types they match."""
    [bus_id] = synth.resources("AWS::Events::EventBus")
    found = {}
    for props in synth.properties(RULE).values():
        if ref_id(props.get("EventBusName")) == bus_id:
            found[tuple(props["EventPattern"]["detail-type"])] = props
    return found


def test_rules_on_the_bus_match_the_escalations_and_sensitive_cases_of_source_socialcare(synth: Synthesised) -> None:
    found = rules(synth)
    assert set(found) == {
        tuple(DETAIL_TYPES.values()),
        (SENSITIVE_CASE,),
        (DEPARTMENT_REQUEST,),
        (UPDATE_REMINDER, MANAGER_ESCALATION, DEPARTMENT_ANSWERED),
        (SURGE_DETECTED,),
    }
    for props in found.values():
        assert props["EventPattern"]["source"] == [EVENT_SOURCE]
        assert props["State"] == "ENABLED"


def test_each_rule_sends_a_short_line_of_ids_to_the_topic_with_a_dead_letter_queue(synth: Synthesised) -> None:
    topic = topic_id(synth)
    [dlq] = [
        k
        for k, v in synth.properties("AWS::SQS::Queue").items()
        if v["QueueName"].startswith("socialcare-notifications-dlq-")
    ]
    for detail_types, props in rules(synth).items():
        [target] = props["Targets"]  # no chat webhook in stages.toml
        assert ref_id(target["Arn"]) == topic
        assert ref_id(target["DeadLetterConfig"]["Arn"]) == dlq
        transformer = target["InputTransformer"]
        paths = set(transformer["InputPathsMap"].values())
        if SENSITIVE_CASE in detail_types:
            assert paths == {"$.detail.case_id", "$.detail.team", "$.detail.priority", "$.detail.platform"}
        elif DEPARTMENT_REQUEST in detail_types:  # the department is told the question and its answer link
            assert {"$.detail.question", "$.detail.link", "$.detail.case_id"} <= paths
        elif SURGE_DETECTED in detail_types:
            assert {"$.detail.count", "$.detail.baseline", "$.detail.topic", "$.detail.account_id"} <= paths
        elif DEPARTMENT_ANSWERED in detail_types:
            assert paths == {"$.detail-type", "$.detail.case_id", "$.detail.department", "$.detail.escalation_id",
                             "$.detail.agent"}  # fmt: skip
        else:
            assert paths == {"$.detail-type", "$.detail.tier", "$.detail.case_id", "$.detail.team",
                             "$.detail.owner", "$.detail.due_at"}  # fmt: skip
        # Named fields only: never the whole detail (or event), so no text beyond ids ever leaves.
        assert "$.detail" not in paths
        assert "aws.events.event" not in transformer["InputTemplate"]
        assert f"socialcare {synth.stage}:" in transformer["InputTemplate"]


def test_the_topic_is_tls_only_and_published_to_through_a_role_only(synth: Synthesised) -> None:
    topic = topic_id(synth)
    [policy] = [
        p for p in synth.properties("AWS::SNS::TopicPolicy").values() if [ref_id(t) for t in p["Topics"]] == [topic]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Principal"] == "*"
    assert ref_id(deny["Resource"]) == topic
    assert all(s["Effect"] == "Deny" for s in statements), "no service may publish through the topic policy"
    role_ids = {ref_id(t["RoleArn"]) for props in rules(synth).values() for t in props["Targets"]}
    [role] = role_ids
    [grant] = [s for s in role_statements(synth.template, str(role)) if "sns:Publish" in s.actions]
    assert [ref_id(r) for r in grant.resources] == [topic]


def test_without_settings_there_are_no_subscriptions_and_no_api_destination(synth: Synthesised) -> None:
    topic = topic_id(synth)
    assert not [p for p in synth.properties("AWS::SNS::Subscription").values() if ref_id(p["TopicArn"]) == topic]
    assert not synth.resources("AWS::Events::ApiDestination")
    assert not synth.resources("AWS::Events::Connection")


def test_configured_email_and_sms_become_subscriptions(configured: Synthesised) -> None:
    topic = topic_id(configured)
    subscriptions = {
        (p["Protocol"], p["Endpoint"])
        for p in configured.properties("AWS::SNS::Subscription").values()
        if ref_id(p["TopicArn"]) == topic
    }
    assert subscriptions == {("email", "leads@example.com"), ("sms", "+447700900123")}


def test_a_chat_webhook_becomes_an_api_destination_targeted_by_both_rules(configured: Synthesised) -> None:
    [(destination_id, destination)] = configured.properties("AWS::Events::ApiDestination").items()
    assert destination["InvocationEndpoint"] == CONFIGURED["chat_webhook_url"]
    assert destination["HttpMethod"] == "POST"
    [(connection_id, connection)] = configured.properties("AWS::Events::Connection").items()
    assert ref_id(destination["ConnectionArn"]) == connection_id
    assert connection["AuthorizationType"] == "API_KEY"
    assert connection["Name"] == "socialcare-chat-dev"
    key = connection["AuthParameters"]["ApiKeyAuthParameters"]
    assert key["ApiKeyName"] == "x-api-key"
    # The key's value is a dynamic reference to the operator's secret, never a literal.
    [secret_id] = [k for k, v in configured.properties("AWS::SecretsManager::Secret").items()
                   if v["Name"] == "socialcare/chat-webhook/dev"]  # fmt: skip
    parts = key["ApiKeyValue"]["Fn::Join"][1]
    assert parts[0] == "{{resolve:secretsmanager:"
    assert ref_id(parts[1]) == secret_id
    assert parts[2] == ":SecretString:api_key::}}"

    for props in rules(configured).values():
        [chat] = [t for t in props["Targets"] if ref_id(t["Arn"]) == destination_id]
        assert "DeadLetterConfig" in chat
        assert json.loads(chat["InputTransformer"]["InputTemplate"].replace("<", "").replace(">", ""))["text"]
        [grant] = role_statements(configured.template, str(ref_id(chat["RoleArn"])))
        assert grant.actions == ("events:InvokeApiDestination",)
        assert [ref_id(r) for r in grant.resources] == [destination_id]


def test_the_configured_template_passes_cfn_lint(configured: Synthesised) -> None:
    """cdk-nag already passed: ``synthesise`` raises on an unacknowledged finding."""
    matches = lint_file(configured.template_path, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    problems = sorted({f"{m.rule.id} {m.message}" for m in matches if m.rule.id[0] in "EW" and m.rule.id != "W3005"})
    assert problems == []


def test_undelivered_notifications_raise_an_alarm(synth: Synthesised) -> None:
    names = {p["AlarmName"] for p in synth.properties("AWS::CloudWatch::Alarm").values()}
    assert f"socialcare-{synth.stage}-notifications-dlq" in names


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("notification_email", "leads", "notification_email 'leads' is not an e-mail address"),
        ("notification_sms", "07700900123", "notification_sms '07700900123' must be an E.164 phone number"),
        ("notification_sms", "+44 7700 900123", "notification_sms '\\+44 7700 900123' must be an E.164"),
        ("chat_webhook_url", "http://chat.example.com/hook", "chat_webhook_url 'http://chat.example.com/hook' must be"),
        ("chat_webhook_url", "https://", "chat_webhook_url 'https://' must be an https:// URL"),
    ],
)
def test_notification_settings_are_checked_naming_the_field(key: str, value: str, message: str) -> None:
    with pytest.raises(StageConfigError, match=message):
        load_stage("dev", overrides=context_overrides({key: value}.get))


def test_notification_settings_are_optional_and_read_from_the_stage() -> None:
    config = load_stage("prod")
    assert (config.notification_email, config.notification_sms, config.chat_webhook_url) == ("", "", "")
    config = load_stage("prod", overrides=context_overrides(CONFIGURED.get))
    assert config.notification_sms == "+447700900123"
