"""Reliability-critical properties: nothing accepted is lost, every failure is seen, every function alike."""

from __future__ import annotations

import json
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws import schema
from socialcare_infra.components.functions import TRIGGERS, QueueTrigger
from socialcare_infra.config import load_stage
from socialcare_infra.paths import CHALICE_DIR, FUNCTIONS_DIR, STATE_MACHINES_DIR
from socialcare_infra.runtime import ARCHITECTURE_NAME, RUNTIME_NAME
from socialcare_local.emulator.agent_api import load_app_module
from socialcare_local.emulator.aws import resource_names
from socialcare_local.emulator.functions import load_function

from tests.infra.conftest import Synthesised
from tests.infra.helpers import LAMBDA, SAM_FUNCTION, alarm_topic_id, function_id, functions, ref_id

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def queue_ids(synth: Synthesised) -> dict[str, str]:
    return {p["QueueName"]: k for k, p in synth.properties("AWS::SQS::Queue").items()}


# ---- queues -------------------------------------------------------------------------------------


def test_every_queue_has_a_dlq_with_redrive_and_the_schema_settings(synth: Synthesised) -> None:
    queues = synth.properties("AWS::SQS::Queue")
    ids = queue_ids(synth)
    dlqs = {ref_id(p["RedrivePolicy"]["deadLetterTargetArn"]) for p in queues.values() if "RedrivePolicy" in p}
    dlqs |= on_failure_queues(synth)  # a stream mapping's on-failure destination is its dead-letter queue
    dlqs |= rule_target_dead_letter_queues(synth)  # so is an EventBridge rule target's dead-letter config
    dlqs |= schedule_dead_letter_queues(synth)  # so is a schedule target's DeadLetterConfig
    for logical_id, props in queues.items():
        if logical_id in dlqs:
            assert "RedrivePolicy" not in props, "a DLQ is the end of the line"
            assert props["MessageRetentionPeriod"] == int(schema.DLQ_ATTRIBUTES["MessageRetentionPeriod"])
            continue
        assert "RedrivePolicy" in props, f"{props['QueueName']} has no dead-letter queue"
    stage = synth.stage
    for name, dlq_name, attributes in (
        (c.INBOUND_QUEUE_LOGICAL_NAME, c.INBOUND_DLQ_LOGICAL_NAME, schema.inbound_queue_attributes),
        (c.OUTBOUND_QUEUE_LOGICAL_NAME, c.OUTBOUND_DLQ_LOGICAL_NAME, schema.outbound_queue_attributes),
    ):
        props = queues[ids[f"{name}-{stage}"]]
        expected = attributes("arn")
        assert props["VisibilityTimeout"] == int(expected["VisibilityTimeout"])
        assert props["MessageRetentionPeriod"] == int(expected["MessageRetentionPeriod"])
        assert props["RedrivePolicy"]["maxReceiveCount"] == int(expected["RedrivePolicy"].split(": ")[-1].rstrip("}"))
        assert ref_id(props["RedrivePolicy"]["deadLetterTargetArn"]) == ids[f"{dlq_name}-{stage}"]


def test_queue_consumers_report_partial_batch_failures_with_the_shared_batching(synth: Synthesised) -> None:
    mappings = synth.properties("AWS::Lambda::EventSourceMapping")
    config = load_stage(synth.stage)
    by_function = {ref_id(p["FunctionName"]): p for p in mappings.values()}
    deployed = {name for name in TRIGGERS if (FUNCTIONS_DIR / name / "handler.py").is_file()}
    for name, spec in TRIGGERS.items():
        if name not in deployed or not isinstance(spec.trigger, QueueTrigger):
            continue
        props = by_function[function_id(synth.template, name)]
        queue = f"{c.INBOUND_QUEUE_LOGICAL_NAME if spec.trigger.queue == 'inbound' else c.OUTBOUND_QUEUE_LOGICAL_NAME}"
        assert ref_id(props["EventSourceArn"]) == queue_ids(synth)[f"{queue}-{synth.stage}"]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BatchSize"] == spec.trigger.batch_size
        assert props.get("MaximumBatchingWindowInSeconds", 0) == spec.trigger.max_batching_window_s
        expected_concurrency = (
            config.outbound_max_concurrency if name == c.OUTBOUND_FUNCTION else config.ingest_max_concurrency
        )
        assert props["ScalingConfig"]["MaximumConcurrency"] == expected_concurrency
    assert {c.INGEST_FUNCTION, c.OUTBOUND_FUNCTION} <= deployed
    assert (
        by_function[function_id(synth.template, c.INGEST_FUNCTION)]["BatchSize"],
        by_function[function_id(synth.template, c.OUTBOUND_FUNCTION)]["BatchSize"],
    ) == (c.INGEST_BATCH_SIZE, c.OUTBOUND_BATCH_SIZE)


def schedule_dead_letter_queues(synth: Synthesised) -> set[str | None]:
    """The queues EventBridge Scheduler puts the runs it could not make in (one per schedule)."""
    return {
        ref_id(p["Target"]["DeadLetterConfig"]["Arn"]) for p in synth.properties("AWS::Scheduler::Schedule").values()
    }


def on_failure_queues(synth: Synthesised) -> set[str | None]:
    return {
        ref_id(p["DestinationConfig"]["OnFailure"]["Destination"])
        for p in synth.properties("AWS::Lambda::EventSourceMapping").values()
        if "DestinationConfig" in p
    }


def rule_target_dead_letter_queues(synth: Synthesised) -> set[str | None]:
    """The dead-letter queues of EventBridge rule targets and of EventBridge Scheduler schedules."""
    rules = {
        ref_id(t["DeadLetterConfig"]["Arn"])
        for p in synth.properties("AWS::Events::Rule").values()
        for t in p.get("Targets", [])
        if "DeadLetterConfig" in t
    }
    schedules = {
        ref_id(p["Target"]["DeadLetterConfig"]["Arn"])
        for p in synth.properties("AWS::Scheduler::Schedule").values()
        if "DeadLetterConfig" in p["Target"]
    }
    return rules | schedules


def test_the_report_function_runs_daily_after_midnight_in_the_reports_time_zone_with_retries(
    synth: Synthesised,
) -> None:
    [schedule] = [
        p for p in synth.properties("AWS::Scheduler::Schedule").values() if p["ScheduleExpression"].startswith("cron(")
    ]
    stage = load_stage(synth.stage)
    assert (schedule["ScheduleExpression"], schedule["ScheduleExpressionTimezone"]) == (
        c.REPORT_SCHEDULE,
        stage.report_time_zone,
    )
    target = schedule["Target"]
    assert ref_id(target["Arn"]) == function_id(synth.template, c.REPORT_FUNCTION)
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    [missed] = [
        k
        for k, p in synth.properties("AWS::SQS::Queue").items()
        if p["QueueName"].startswith("socialcare-report-missed")
    ]
    assert ref_id(target["DeadLetterConfig"]["Arn"]) == missed
    [alarm] = [a for a in alarms(synth) if a["AlarmName"] == f"socialcare-{synth.stage}-report-missed-runs"]
    assert dimension(alarm, "QueueName") is not None


def test_the_clock_function_reads_case_items_of_the_stream_with_partial_failures_and_an_on_failure_queue(
    synth: Synthesised,
) -> None:
    [(mapping_id, props)] = [
        (k, p) for k, p in synth.properties("AWS::Lambda::EventSourceMapping").items() if "StartingPosition" in p
    ]
    assert ref_id(props["FunctionName"]) == function_id(synth.template, c.CLOCK_FUNCTION)
    [table] = synth.resources("AWS::DynamoDB::Table")
    assert props["EventSourceArn"] == {"Fn::GetAtt": [table, "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (props["BatchSize"], props["MaximumRetryAttempts"]) == (c.CLOCK_BATCH_SIZE, c.CLOCK_MAX_RETRY_ATTEMPTS)
    cases, messages = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert (
        cases
        == c.CLOCK_STREAM_FILTER
        == {
            "eventName": ["INSERT", "MODIFY"],
            "dynamodb": {"Keys": {"SK": {"S": ["CASE"]}}},
        }
    )
    # ...and customers' messages as they are stored: the reports' day facts (channel, language, sentiment).
    assert (
        messages
        == c.MESSAGE_STREAM_FILTER
        == {
            "eventName": ["INSERT"],
            "dynamodb": {"Keys": {"SK": {"S": [{"prefix": "MSG#"}]}}, "NewImage": {"kind": {"S": ["inbound"]}}},
        }
    )
    [failures] = on_failure_queues(synth)
    assert failures == queue_ids(synth)[f"socialcare-clock-failures-{synth.stage}"], mapping_id


def test_a_slow_batch_is_never_redelivered_while_its_function_still_runs(synth: Synthesised) -> None:
    """AWS guidance: a queue's visibility timeout is at least six times its consumer's timeout."""
    queues = synth.properties("AWS::SQS::Queue")
    for props in synth.properties("AWS::Lambda::EventSourceMapping").values():
        if "StartingPosition" in props:
            continue  # a stream: records are never redelivered while a batch runs
        fn = synth.template["Resources"][ref_id(props["FunctionName"])]["Properties"]
        queue = queues[ref_id(props["EventSourceArn"])]
        assert queue["VisibilityTimeout"] >= 6 * fn["Timeout"], fn["FunctionName"]


# ---- table ---------------------------------------------------------------------------------------


def test_table_is_on_demand_with_the_schema_indexes_ttl_pitr_and_stream(synth: Synthesised) -> None:
    [table] = synth.properties("AWS::DynamoDB::Table").values()
    spec = schema.create_table_kwargs(f"{c.TABLE_LOGICAL_NAME}-{synth.stage}")
    assert table["TableName"] == spec["TableName"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == spec["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(spec["AttributeDefinitions"], key=str)
    assert sorted(table["GlobalSecondaryIndexes"], key=str) == sorted(spec["GlobalSecondaryIndexes"], key=str)
    assert table["TimeToLiveSpecification"] == {"AttributeName": c.TTL_ATTRIBUTE, "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["StreamSpecification"]["StreamViewType"] == spec["StreamSpecification"]["StreamViewType"]


def test_prod_keeps_its_data_and_dev_can_be_torn_down(prod: Synthesised, dev: Synthesised) -> None:
    stateful = ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::SecretsManager::Secret", "AWS::Cognito::UserPool")
    for kind in stateful:
        assert prod.resources(kind)
        assert dev.resources(kind)
        assert {r["DeletionPolicy"] for r in prod.resources(kind).values()} == {"Retain"}, kind
        assert {r["DeletionPolicy"] for r in dev.resources(kind).values()} == {"Delete"}, kind
    [prod_table] = prod.properties("AWS::DynamoDB::Table").values()
    [dev_table] = dev.properties("AWS::DynamoDB::Table").values()
    assert prod_table["DeletionProtectionEnabled"] is True
    assert dev_table["DeletionProtectionEnabled"] is False


def test_names_are_the_local_stacks_names_for_the_same_stage(synth: Synthesised) -> None:
    local = resource_names(synth.stage)
    # A schedule's missed-runs queue exists only in AWS: the local stack runs its schedules itself.
    missed_runs = {
        name for name, logical_id in queue_ids(synth).items() if logical_id in schedule_dead_letter_queues(synth)
    }
    assert missed_runs == {
        f"socialcare-{c.SURGE_FUNCTION}-missed-runs-{synth.stage}",
        f"socialcare-{c.METRICS_FUNCTION}-missed-runs-{synth.stage}",
        f"socialcare-{c.CLOCK_SWEEP_FUNCTION}-missed-runs-{synth.stage}",
        f"socialcare-{c.REPORT_FUNCTION}-missed-runs-{synth.stage}",
    }
    assert set(queue_ids(synth)) - missed_runs == {
        local["queue"],
        local["dlq"],
        local["outbound_queue"],
        local["outbound_dlq"],
        local["clock_failures"],
        # The local stack has no EventBridge rules (its notifications go to its log), so no such DLQ,
        # and runs the schedules itself, so no queue of missed runs.
        f"socialcare-notifications-dlq-{synth.stage}",
    }
    [table] = synth.properties("AWS::DynamoDB::Table").values()
    assert table["TableName"] == local["table"]
    secrets = {p["Name"] for p in synth.properties("AWS::SecretsManager::Secret").values()}
    assert secrets == {local["secret"], local["api_secret"]}


# ---- functions -----------------------------------------------------------------------------------


def test_every_function_folder_with_a_trigger_is_deployed_and_no_other(synth: Synthesised) -> None:
    folders = sorted(p.parent.name for p in FUNCTIONS_DIR.glob("*/handler.py"))
    deployed = sorted(
        p["FunctionName"].removeprefix("socialcare-").removesuffix(f"-{synth.stage}")
        for p in synth.properties(LAMBDA).values()
    )
    assert deployed == [f for f in folders if f in TRIGGERS]
    assert c.OUTBOUND_FUNCTION in deployed, "the outbound wiring must be in place"


def test_every_function_runs_traced_on_one_runtime_and_architecture_with_the_core_layer(
    synth: Synthesised,
) -> None:
    [layer] = synth.resources("AWS::Lambda::LayerVersion")
    layer_props = synth.template["Resources"][layer]["Properties"]
    assert layer_props["CompatibleRuntimes"] == [RUNTIME_NAME]
    assert layer_props["CompatibleArchitectures"] == [ARCHITECTURE_NAME]
    all_functions = functions(synth.template)
    kinds = {synth.template["Resources"][k]["Type"] for k in all_functions}
    assert kinds == {LAMBDA, SAM_FUNCTION}, "plain functions and the Chalice API"
    for logical_id, props in all_functions.items():
        assert props["Runtime"] == RUNTIME_NAME, logical_id
        assert props["Architectures"] == [ARCHITECTURE_NAME], logical_id
        tracing = props["TracingConfig"]["Mode"] if "TracingConfig" in props else props.get("Tracing")
        assert tracing == "Active", logical_id
        assert [ref_id(x) for x in props["Layers"]] == [layer], logical_id


def test_every_log_group_keeps_the_stages_retention(synth: Synthesised) -> None:
    days = load_stage(synth.stage).log_retention_days
    groups = synth.properties("AWS::Logs::LogGroup")
    assert groups
    assert {p["RetentionInDays"] for p in groups.values()} == {days}
    for logical_id, props in functions(synth.template).items():
        assert ref_id(props["LoggingConfig"]["LogGroup"]) in groups, f"{logical_id} logs to an unmanaged group"


def _resolved_environment(props: dict[str, Any]) -> dict[str, str]:
    """A function's environment as Lambda would hand it over (references become plausible values)."""
    env = {}
    for key, value in props.get("Environment", {}).get("Variables", {}).items():
        env[key] = value if isinstance(value, str) else f"resolved-{ref_id(value)}"
    return env


# What ``socialcare.reports.config.ReportConfig`` reads (the report function's, and the agent API's too).
REPORT_ENVIRONMENT = {
    c.ENV_TABLE_NAME,
    c.ENV_REPORTS_BUCKET,
    c.ENV_REPORT_TIME_ZONE,
    c.ENV_DEFAULT_TEAM,
    c.ENV_ACCOUNT_TEAMS,
}
HANDLER_ENVIRONMENT = {
    c.WEBHOOK_FUNCTION: ("WebhookConfig", {c.ENV_INBOUND_QUEUE_URL, c.ENV_RAW_BUCKET, c.ENV_PLATFORM_SECRET_ARN}),
    c.INGEST_FUNCTION: (
        "IngestConfig",
        {
            c.ENV_TABLE_NAME,
            c.ENV_RAW_BUCKET,
            c.ENV_RAW_STREAMS,
            c.ENV_INBOUND_QUEUE_URL,
            c.ENV_BRAND_ACCOUNTS,
            c.ENV_DEFAULT_TEAM,
            c.ENV_REOPEN_WINDOW_HOURS,
            c.ENV_ACCOUNT_TEAMS,
            c.ENV_EVENT_BUS_NAME,
            c.ENV_OUTBOUND_QUEUE_URL,  # optional to the handler: where a new case's acknowledge task goes
        },
    ),
    # The platforms' API URLs and the retry settings have defaults: the real platforms, the shared constants.
    # The department requests' bus, key and link address are read (optional) too.
    c.OUTBOUND_FUNCTION: (
        "OutboundConfig",
        {
            c.ENV_TABLE_NAME,
            c.ENV_OUTBOUND_QUEUE_URL,
            c.ENV_PLATFORM_SECRET_ARN,
            c.ENV_EVENT_BUS_NAME,
            c.ENV_API_SECRET_ARN,
            c.ENV_ANSWER_LINK_BASE_URL,
        },
    ),
    # SURGE_SETTINGS is optional (a stage without a `surges` table takes the defaults).
    c.SURGE_FUNCTION: ("SurgeConfig", {c.ENV_TABLE_NAME, c.ENV_EVENT_BUS_NAME}),
    # RESPONSE_TARGETS is the local stack's only (the targets in force while no policy set is stored).
    c.CLOCK_FUNCTION: ("ClockConfig", {c.ENV_CASE_CLOCK_ARN, c.ENV_TABLE_NAME, c.ENV_FOLLOW_UP_ARN}),
    c.CLOCK_SWEEP_FUNCTION: ("ClockSweepConfig", {c.ENV_CASE_CLOCK_ARN, c.ENV_TABLE_NAME}),
    # ROUTING_RULES only when the stage has rules (neither stage does).
    c.METRICS_FUNCTION: ("MetricsConfig", {c.ENV_TABLE_NAME, c.ENV_DEFAULT_TEAM, c.ENV_ACCOUNT_TEAMS}),
    c.REPORT_FUNCTION: ("ReportFunctionConfig", REPORT_ENVIRONMENT),
}


@pytest.mark.parametrize("function", sorted(HANDLER_ENVIRONMENT))
def test_each_function_gets_exactly_the_configuration_its_handler_reads(
    synth: Synthesised, function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_class, expected_keys = HANDLER_ENVIRONMENT[function]
    props = synth.template["Resources"][function_id(synth.template, function)]["Properties"]
    env = _resolved_environment(props)
    assert set(env) == expected_keys
    module = load_function(function)
    for key in expected_keys:
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match="is not set"):
        getattr(module, config_class).from_env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = getattr(module, config_class).from_env()  # would raise, naming the variable, if one were missing
    if function == c.OUTBOUND_FUNCTION:
        assert (config.event_bus_name, config.api_secret_arn, config.answer_link_base_url) == (
            env[c.ENV_EVENT_BUS_NAME],
            env[c.ENV_API_SECRET_ARN],
            env[c.ENV_ANSWER_LINK_BASE_URL],
        )
    if function == c.INGEST_FUNCTION:
        stage = load_stage(synth.stage)
        assert (config.default_team, config.reopen_window_hours) == (stage.default_team, stage.reopen_window_hours)
        assert config.account_teams == dict(stage.account_teams)
        assert config.brand_accounts.to_document() == {k: sorted(v) for k, v in sorted(stage.brand_accounts.items())}
        assert config.outbound_queue_url == env[c.ENV_OUTBOUND_QUEUE_URL]
    if function == c.METRICS_FUNCTION:
        stage = load_stage(synth.stage)
        assert (config.default_team, config.account_teams) == (stage.default_team, dict(stage.account_teams))


def secret_ids(synth: Synthesised) -> dict[str, str]:
    return {p["Name"]: k for k, p in synth.properties("AWS::SecretsManager::Secret").items()}


def test_outbound_and_agent_api_get_the_table_the_outbound_queue_and_their_secret(synth: Synthesised) -> None:
    ids = queue_ids(synth)
    [table] = synth.resources("AWS::DynamoDB::Table")
    secrets = secret_ids(synth)
    outbound_queue = ids[f"{c.OUTBOUND_QUEUE_LOGICAL_NAME}-{synth.stage}"]
    outbound = synth.template["Resources"][function_id(synth.template, c.OUTBOUND_FUNCTION)]["Properties"]
    ingest = synth.template["Resources"][function_id(synth.template, c.INGEST_FUNCTION)]["Properties"]
    api_functions = list(synth.properties(SAM_FUNCTION).values())
    assert api_functions
    assert ref_id(ingest["Environment"]["Variables"][c.ENV_OUTBOUND_QUEUE_URL]) == outbound_queue
    for props in [outbound, *api_functions]:
        variables = props["Environment"]["Variables"]
        assert ref_id(variables[c.ENV_TABLE_NAME]) == table
        assert ref_id(variables[c.ENV_OUTBOUND_QUEUE_URL]) == outbound_queue
    platform_secret = ref_id(outbound["Environment"]["Variables"][c.ENV_PLATFORM_SECRET_ARN])
    assert platform_secret == secrets[f"{c.PLATFORM_SECRET_NAME}/{synth.stage}"]
    for props in api_functions:
        api_secret = ref_id(props["Environment"]["Variables"][c.ENV_API_SECRET_ARN])
        assert api_secret == secrets[f"{c.API_SECRET_NAME}/{synth.stage}"]
        assert c.ENV_PLATFORM_SECRET_ARN not in props["Environment"]["Variables"], "the API never needs tokens"


def test_every_agent_api_function_gets_exactly_the_configuration_the_app_reads(synth: Synthesised) -> None:
    """Each Chalice function's environment: what ``ApiConfig.from_env`` requires, plus the stage's
    own variables from ``.chalice/config.json``, and nothing else."""
    load_app_module()  # puts chalice_config/ on sys.path, as the Lambda bundle's root
    from chalicelib.wiring import ApiConfig

    chalice_config = json.loads((CHALICE_DIR / ".chalice" / "config.json").read_text())
    stage_variables = {
        **chalice_config.get("environment_variables", {}),
        **chalice_config["stages"][synth.stage].get("environment_variables", {}),
    }
    required = {c.ENV_TABLE_NAME, c.ENV_OUTBOUND_QUEUE_URL, c.ENV_API_SECRET_ARN}
    optional = {c.ENV_DEPARTMENT_ESCALATION_ARN}  # deployed: the department escalation machine
    api_functions = synth.properties(SAM_FUNCTION)
    assert api_functions
    for logical_id, props in api_functions.items():
        env = _resolved_environment(props)
        assert set(env) == required | optional | REPORT_ENVIRONMENT | set(stage_variables), logical_id
        assert {k: env[k] for k in stage_variables} == stage_variables
        config = ApiConfig.from_env(env)  # would raise, naming the variable, if one were missing
        assert (config.table_name, config.outbound_queue_url, config.api_secret_arn) == (
            env[c.ENV_TABLE_NAME],
            env[c.ENV_OUTBOUND_QUEUE_URL],
            env[c.ENV_API_SECRET_ARN],
        )
        assert config.department_escalation_arn == env[c.ENV_DEPARTMENT_ESCALATION_ARN]
        for key in required:
            with pytest.raises(RuntimeError, match=f"{key} is not set"):
                ApiConfig.from_env({k: v for k, v in env.items() if k != key})


# ---- alarms ----------------------------------------------------------------------------------------


def alarms(synth: Synthesised) -> list[dict[str, Any]]:
    return list(synth.properties("AWS::CloudWatch::Alarm").values())


def dimension(alarm: dict[str, Any], name: str) -> Any:
    return next((d["Value"] for d in alarm.get("Dimensions", []) if d["Name"] == name), None)


def test_every_dlq_has_an_alarm_on_any_message(synth: Synthesised) -> None:
    queues = synth.properties("AWS::SQS::Queue")
    dlqs = {ref_id(p["RedrivePolicy"]["deadLetterTargetArn"]) for p in queues.values() if "RedrivePolicy" in p}
    dlqs |= on_failure_queues(synth)  # a stream mapping's on-failure destination is its dead-letter queue
    dlqs |= rule_target_dead_letter_queues(synth)  # so is an EventBridge rule target's dead-letter config
    dlqs |= schedule_dead_letter_queues(synth)  # so is a schedule target's DeadLetterConfig
    # inbound, outbound, the clock function's on-failure queue, the notification rules' DLQ, the surge
    # check's, the metrics publisher's, the report's and the clock sweep's missed runs
    assert len(dlqs) == 8
    for dlq in dlqs:
        assert any(
            a["MetricName"] == "ApproximateNumberOfMessagesVisible"
            and ref_id(dimension(a, "QueueName")) == dlq
            and a["Threshold"] == 0
            and a["ComparisonOperator"] == "GreaterThanThreshold"
            for a in alarms(synth)
        ), dlq


def test_every_function_has_error_and_throttle_alarms(synth: Synthesised) -> None:
    for logical_id in functions(synth.template):
        for metric in ("Errors", "Throttles"):
            assert any(
                a["Namespace"] == "AWS/Lambda"
                and a["MetricName"] == metric
                and ref_id(dimension(a, "FunctionName")) == logical_id
                and a["Threshold"] == 0
                for a in alarms(synth)
            ), (logical_id, metric)


def test_webhook_5xx_and_stalled_queues_raise_alarms(synth: Synthesised) -> None:
    webhook = function_id(synth.template, c.WEBHOOK_FUNCTION)
    assert any(
        (a["Namespace"], a["MetricName"]) == ("AWS/Lambda", "Url5xxCount")
        and ref_id(dimension(a, "FunctionName")) == webhook
        and a["Threshold"] == 0
        for a in alarms(synth)
    )
    age = load_stage(synth.stage).queue_age_alarm_seconds
    for name in (c.INBOUND_QUEUE_LOGICAL_NAME, c.OUTBOUND_QUEUE_LOGICAL_NAME):
        queue = queue_ids(synth)[f"{name}-{synth.stage}"]
        assert any(
            a["MetricName"] == "ApproximateAgeOfOldestMessage"
            and ref_id(dimension(a, "QueueName")) == queue
            and a["Threshold"] == age
            for a in alarms(synth)
        ), name
    api_name = f"{c.AGENT_API_APP_NAME}-{synth.stage}"
    [rest_api] = synth.properties("AWS::Serverless::Api").values()
    assert rest_api["Name"] == api_name
    assert any(
        a["MetricName"] == "5XXError"
        and dimension(a, "ApiName") == api_name
        and dimension(a, "Stage") == rest_api["StageName"]
        for a in alarms(synth)
    )


def test_every_raw_archive_stream_alarms_on_a_failed_delivery_to_s3(synth: Synthesised) -> None:
    streams = {p["DeliveryStreamName"] for p in synth.properties("AWS::KinesisFirehose::DeliveryStream").values()}
    assert len(streams) == len(c.WEBHOOK_PLATFORMS)
    alarmed = [a for a in alarms(synth) if a.get("Namespace") == "AWS/Firehose"]
    assert sorted(dimension(a, "DeliveryStreamName") for a in alarmed) == sorted(streams)
    for a in alarmed:
        assert (a["MetricName"], a["Statistic"], a["ComparisonOperator"], a["Threshold"]) == (
            "DeliveryToS3.Success",
            "Minimum",
            "LessThanThreshold",
            1,
        )


def test_the_webhook_flood_limit_is_its_functions_reserved_concurrency(synth: Synthesised) -> None:
    reserved = load_stage(synth.stage).webhook_reserved_concurrency
    webhook = functions(synth.template)[function_id(synth.template, c.WEBHOOK_FUNCTION)]
    assert webhook.get("ReservedConcurrentExecutions") == (reserved or None)
    assert load_stage("prod").webhook_reserved_concurrency > 0


def test_every_alarm_notifies_the_alarm_topic_both_ways(synth: Synthesised) -> None:
    topic = alarm_topic_id(synth.template, synth.stage)
    assert alarms(synth)
    for alarm in alarms(synth):
        assert [ref_id(x) for x in alarm["AlarmActions"]] == [topic], alarm["AlarmName"]
        assert [ref_id(x) for x in alarm["OKActions"]] == [topic], alarm["AlarmName"]
        assert alarm["TreatMissingData"] == "notBreaching"


def test_dashboards_exist_with_the_stage_name(synth: Synthesised) -> None:
    names = sorted(d["DashboardName"] for d in synth.properties("AWS::CloudWatch::Dashboard").values())
    stage = synth.stage
    assert names == [f"socialcare-accountability-{stage}", f"socialcare-care-floor-{stage}", f"socialcare-{stage}"]


def test_state_machines_are_deployed_one_per_asl_file(synth: Synthesised) -> None:
    expected = sorted(p.name.removesuffix(".asl.json") for p in STATE_MACHINES_DIR.glob("*.asl.json"))
    deployed = sorted(
        p["StateMachineName"].removeprefix("socialcare-").removesuffix(f"-{synth.stage}")
        for p in synth.properties("AWS::StepFunctions::StateMachine").values()
    )
    assert deployed == expected


def test_stack_outputs_give_the_operator_every_address_they_need(synth: Synthesised) -> None:
    outputs = synth.template["Outputs"]
    for platform in c.WEBHOOK_PLATFORMS:
        assert f"WebhookUrl{platform.title()}" in outputs
        url, path = outputs[f"WebhookUrl{platform.title()}"]["Value"]["Fn::Join"][1]
        assert url == {"Fn::GetAtt": [url["Fn::GetAtt"][0], "FunctionUrl"]}  # ends with "/"
        assert path == f"webhooks/{platform}"
    for key in (
        "AgentApiUrl",
        "UserPoolId",
        "UserPoolClientId",
        "PlatformSecretArn",
        "ApiSecretArn",
        "AlarmTopicArn",
        "TableName",
    ):
        assert key in outputs, key
