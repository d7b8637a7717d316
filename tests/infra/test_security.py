"""Security-critical properties of the synthesised templates (both stages)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from socialcare import constants as c
from socialcare import errors
from socialcare.agents.cursor import CursorCodec
from socialcare.agents.identity import ROLE_GROUPS, caller_from_claims
from socialcare.aws.api_secret import load_cursor_key
from socialcare.platforms.credentials import PlatformCredentials
from socialcare.webhook.service import WebhookService, raw_key_for
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.signing import meta_request

from tests.infra.conftest import Synthesised
from tests.infra.helpers import (
    SAM_API,
    SAM_FUNCTION,
    all_policy_statements,
    bucket_id,
    function_id,
    functions,
    join_text,
    ref_id,
    role_statements,
    state_machine,
)

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

# Actions that may only ever be granted with a resource of "*": the services offer nothing narrower.
STAR_RESOURCE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# What CDK grants a state machine for its LogOptions and tracing: CloudWatch Logs' log-delivery
# control plane and X-Ray's sampling and trace writes, none of which has resource-level permissions;
# allowed on '*' to state machine roles only.
STATE_MACHINE_STAR_ACTIONS = STAR_RESOURCE_ACTIONS | {
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
DATA_SERVICES = ("dynamodb", "s3", "sqs", "secretsmanager", "sns", "kms", "states", "logs", "lambda", "cognito-idp")


def ids_of(synth: Synthesised) -> dict[str, str]:
    """Logical ids of the resources the grants point at."""
    t = synth.template
    queues = {p["QueueName"]: k for k, p in synth.properties("AWS::SQS::Queue").items()}
    stage = synth.stage
    [table] = synth.resources("AWS::DynamoDB::Table")
    bucket = bucket_id(t, c.RAW_BUCKET_LOGICAL_NAME)
    secrets = {p["Name"]: k for k, p in synth.properties("AWS::SecretsManager::Secret").items()}
    assert len(secrets) == 2
    result = {
        "table": table,
        "bucket": bucket,
        "reports": bucket_id(t, c.REPORTS_BUCKET_LOGICAL_NAME),
        "platform_secret": secrets[f"{c.PLATFORM_SECRET_NAME}/{stage}"],
        "api_secret": secrets[f"{c.API_SECRET_NAME}/{stage}"],
        "inbound": queues[f"{c.INBOUND_QUEUE_LOGICAL_NAME}-{stage}"],
        "outbound": queues[f"{c.OUTBOUND_QUEUE_LOGICAL_NAME}-{stage}"],
    }
    for name in (c.WEBHOOK_FUNCTION, c.INGEST_FUNCTION, c.OUTBOUND_FUNCTION, c.SURGE_FUNCTION, c.REPORT_FUNCTION):
        fn = t["Resources"][function_id(t, name)]["Properties"]
        result[f"{name}.role"] = ref_id(fn["Role"]) or ""
        result[f"{name}.logs"] = ref_id(fn["LoggingConfig"]["LogGroup"]) or ""
    return result


def grants(synth: Synthesised, role_id: str) -> dict[str, set[str]]:
    """action -> the resources it is allowed on (readable form), for one role."""
    found: dict[str, set[str]] = {}
    for statement in role_statements(synth.template, role_id):
        assert statement.effect == "Allow"
        for action in statement.actions:
            found.setdefault(action, set()).update(join_text(r) for r in statement.resources)
    return found


def observability(logs_id: str) -> dict[str, set[str]]:
    return {
        "logs:CreateLogStream": {f"<{logs_id}.Arn>"},
        "logs:PutLogEvents": {f"<{logs_id}.Arn>"},
        "xray:PutTraceSegments": {"*"},
        "xray:PutTelemetryRecords": {"*"},
    }


# ---- least privilege, written out per function (not derived from the app's own grant table) --------


def test_webhook_may_only_store_raw_deliveries_enqueue_and_read_the_secret(synth: Synthesised) -> None:
    i = ids_of(synth)
    assert grants(synth, i["webhook.role"]) == {
        "s3:PutObject": {f"<{i['bucket']}.Arn>/raw/*"},
        "sqs:SendMessage": {f"<{i['inbound']}.Arn>"},
        "secretsmanager:GetSecretValue": {f"<{i['platform_secret']}>"},
        **observability(i["webhook.logs"]),
    }


def test_the_webhook_writes_raw_deliveries_under_the_prefix_it_may_write() -> None:
    key = raw_key_for("meta", 1_767_225_600_000, "ab" * 32)
    assert key.startswith(c.RAW_KEY_PREFIX)


def test_ingest_may_read_write_items_read_raw_and_consume_inbound(synth: Synthesised) -> None:
    i = ids_of(synth)
    table = f"<{i['table']}.Arn>"
    [bus] = synth.resources("AWS::Events::EventBus")
    assert grants(synth, i["ingest.role"]) == {
        "dynamodb:GetItem": {table},
        "dynamodb:BatchGetItem": {table},
        "dynamodb:Query": {table},  # the SLA in force: the configuration's partition, once a minute
        "dynamodb:PutItem": {table},
        "dynamodb:UpdateItem": {table},
        "s3:GetObject": {f"<{i['bucket']}.Arn>/raw/*"},
        "sqs:ReceiveMessage": {f"<{i['inbound']}.Arn>"},
        "sqs:DeleteMessage": {f"<{i['inbound']}.Arn>"},
        "sqs:GetQueueAttributes": {f"<{i['inbound']}.Arn>"},
        "sqs:ChangeMessageVisibility": {f"<{i['inbound']}.Arn>"},  # a delivery waiting for a message
        "sqs:SendMessage": {f"<{i['outbound']}.Arn>"},  # a new case's acknowledge task, and nothing else
        "events:PutEvents": {f"<{bus}.Arn>"},  # a sensitive case, for the leads: the project's bus only
        "firehose:PutRecordBatch": {f"<{s}.Arn>" for s in archive_streams(synth).values()},  # the raw archive
        **observability(i["ingest.logs"]),
    }


def archive_streams(synth: Synthesised) -> dict[str, str]:
    """platform -> the logical id of its raw archive stream."""
    return {
        str(p["ExtendedS3DestinationConfiguration"]["Prefix"]).split("/")[1]: k
        for k, p in synth.properties("AWS::KinesisFirehose::DeliveryStream").items()
    }


def test_each_archive_stream_writes_gzip_under_its_platform_with_a_role_that_may_write_only_there(
    synth: Synthesised,
) -> None:
    i = ids_of(synth)
    bucket = f"<{i['bucket']}.Arn>"
    streams = archive_streams(synth)
    assert set(streams) == set(c.WEBHOOK_PLATFORMS)
    for platform, logical_id in streams.items():
        props = synth.template["Resources"][logical_id]["Properties"]
        destination = props["ExtendedS3DestinationConfiguration"]
        assert props["DeliveryStreamName"] == f"socialcare-raw-{platform}-{synth.stage}"
        assert props["DeliveryStreamEncryptionConfigurationInput"] == {"KeyType": "AWS_OWNED_CMK"}
        assert (destination["Prefix"], destination["CompressionFormat"]) == (f"raw/{platform}/", "GZIP")
        assert "DynamicPartitioningConfiguration" not in destination  # billed per GB: the prefix is static
        assert join_text(destination["BucketARN"]) == bucket
        role = ref_id(destination["RoleARN"])
        assert role
        trust = synth.template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert [(s["Principal"], s["Condition"]) for s in trust] == [
            ({"Service": "firehose.amazonaws.com"}, {"StringEquals": {"sts:ExternalId": {"Ref": "AWS::AccountId"}}})
        ]
        objects = {f"{bucket}/raw/{platform}/*"}
        assert grants(synth, role) == {
            "s3:AbortMultipartUpload": objects,
            "s3:GetObject": objects,
            "s3:PutObject": objects,
            "s3:GetBucketLocation": {bucket},
            "s3:ListBucket": {bucket},
            "s3:ListBucketMultipartUploads": {bucket},
        }


def test_the_surge_check_may_query_the_counters_record_what_it_raised_and_put_events(synth: Synthesised) -> None:
    i = ids_of(synth)
    table = f"<{i['table']}.Arn>"
    [bus] = synth.resources("AWS::Events::EventBus")
    assert grants(synth, i["surge.role"]) == {
        "dynamodb:Query": {table},  # the table's keys only: no index
        "dynamodb:PutItem": {table},
        "dynamodb:UpdateItem": {table},
        "events:PutEvents": {f"<{bus}.Arn>"},
        **observability(i["surge.logs"]),
    }


def department_machine(synth: Synthesised) -> str:
    [machine] = [
        k
        for k, p in synth.properties("AWS::StepFunctions::StateMachine").items()
        if p["StateMachineName"].startswith("socialcare-department_escalation-")
    ]
    return f"<{machine}>"


def test_outbound_may_use_the_table_consume_and_delay_replies_and_read_the_platform_secret(
    synth: Synthesised,
) -> None:
    i = ids_of(synth)
    table, queue = f"<{i['table']}.Arn>", f"<{i['outbound']}.Arn>"
    [bus] = synth.resources("AWS::Events::EventBus")
    machine = department_machine(synth)
    assert grants(synth, i["outbound.role"]) == {
        "dynamodb:GetItem": {table},
        # automated messages: the thread, the SLA configuration and the crises by key; the place in the queue
        "dynamodb:Query": {table, f"{table}/index/{c.QUEUE_INDEX}"},
        "dynamodb:PutItem": {table},
        "dynamodb:UpdateItem": {table},
        "dynamodb:DeleteItem": {table},  # the echo entry a reply adopts, inside its transaction
        "sqs:ReceiveMessage": {queue},
        "sqs:DeleteMessage": {queue},
        "sqs:GetQueueAttributes": {queue},
        "sqs:ChangeMessageVisibility": {queue},  # a reply to retry stays hidden for its delay
        # the platform tokens; the API's key, which signs a department's answer link
        "secretsmanager:GetSecretValue": {f"<{i['platform_secret']}>", f"<{i['api_secret']}>"},
        "events:PutEvents": {f"<{bus}.Arn>"},  # a department's request: the project's bus only
        "states:SendTaskSuccess": {machine},  # a department escalation answered before its round asked
        "states:SendTaskFailure": {machine},  # one whose case was resolved first
        **observability(i["outbound.logs"]),
    }


def test_agent_api_may_use_the_table_and_its_lists_send_replies_and_read_its_own_secret(synth: Synthesised) -> None:
    i = ids_of(synth)
    table = f"<{i['table']}.Arn>"
    sam_functions = synth.properties(SAM_FUNCTION)
    assert sam_functions, "the agent API is part of the deployment"
    roles = {ref_id(p["Role"]) for p in sam_functions.values()}
    assert len(roles) == 1
    [role] = roles
    assert role
    granted = grants(synth, role)
    log_groups = {ref_id(p["LoggingConfig"]["LogGroup"]) for p in sam_functions.values()}
    # The lists' views: the team queue and review, an agent's own cases, the history, the status,
    # channel, priority and assignee lists; never the customer index.
    indexes = {f"{table}/index/{name}" for name in c.LIST_INDEXES}
    assert c.CUSTOMER_INDEX not in c.LIST_INDEXES
    expected: dict[str, set[str]] = {
        "dynamodb:GetItem": {table},
        "dynamodb:Query": {table} | indexes,
        "dynamodb:PutItem": {table},
        "dynamodb:UpdateItem": {table},
        "sqs:SendMessage": {f"<{i['outbound']}.Arn>"},
        "secretsmanager:GetSecretValue": {f"<{i['api_secret']}>"},
        # a department escalation started, its wait completed by the answer or ended with its case
        "states:StartExecution": {department_machine(synth)},
        "states:SendTaskSuccess": {department_machine(synth)},
        "states:SendTaskFailure": {department_machine(synth)},
        # The stored reports, and listing their prefix so a report not stored is 404, not 403.
        "s3:GetObject": {f"<{i['reports']}.Arn>/{c.REPORTS_KEY_PREFIX}*"},
        "s3:ListBucket": {f"<{i['reports']}.Arn>"},
        "logs:CreateLogStream": {f"<{g}.Arn>" for g in log_groups},
        "logs:PutLogEvents": {f"<{g}.Arn>" for g in log_groups},
        "xray:PutTraceSegments": {"*"},
        "xray:PutTelemetryRecords": {"*"},
    }
    assert granted == expected


def test_the_clock_may_start_case_clocks_and_read_the_sla_configuration_only(synth: Synthesised) -> None:
    i = ids_of(synth)
    machine, _ = state_machine(synth, "case_clock")
    follow_up, _ = state_machine(synth, "follow_up")
    fn = synth.template["Resources"][function_id(synth.template, c.CLOCK_FUNCTION)]["Properties"]
    granted = grants(synth, ref_id(fn["Role"]) or "")
    stream_mapping = {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    }
    on_failure = {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
    own = {action: found for action, found in granted.items() if action not in stream_mapping | on_failure}
    assert own == {
        "states:StartExecution": {f"<{machine}>", f"<{follow_up}>"},
        "dynamodb:Query": {f"<{i['table']}.Arn>"},  # the SLA configuration's partition, for business time
        "dynamodb:UpdateItem": {f"<{i['table']}.Arn>"},  # the report's day facts
        **observability(ref_id(fn["LoggingConfig"]["LogGroup"]) or ""),
    }


def test_the_metrics_publisher_may_only_query_the_queue_index_and_put_its_metrics(synth: Synthesised) -> None:
    i = ids_of(synth)
    fn = synth.template["Resources"][function_id(synth.template, c.METRICS_FUNCTION)]["Properties"]
    assert grants(synth, ref_id(fn["Role"]) or "") == {
        "dynamodb:Query": {f"<{i['table']}.Arn>/index/{c.QUEUE_INDEX}"},  # open work only, never the table
        "cloudwatch:PutMetricData": {"*"},  # within the namespace: see the '*' test
        **observability(ref_id(fn["LoggingConfig"]["LogGroup"]) or ""),
    }


def test_no_role_may_scan_and_only_the_outbound_sender_may_delete_items(synth: Synthesised) -> None:
    outbound_role = ids_of(synth)["outbound.role"]
    for owner, statement in all_policy_statements(synth.template):
        assert not {"dynamodb:Scan", "dynamodb:BatchWriteItem"} & set(statement.actions), owner
        if "dynamodb:DeleteItem" in statement.actions:
            assert owner in {f for f, s in synth.properties("AWS::IAM::Policy").items() if _attached(s, outbound_role)}


def _attached(policy: dict[str, Any], role_id: str) -> bool:
    return role_id in [ref_id(r) for r in policy.get("Roles", [])]


def test_no_identity_policy_has_a_wildcard_action(synth: Synthesised) -> None:
    statements = all_policy_statements(synth.template)
    assert statements
    for owner, statement in statements:
        for action in statement.actions:
            assert "*" not in action, f"{owner} allows {action}"


def _state_machine_policy(template: dict[str, Any], owner: str) -> bool:
    """Whether the policy ``owner`` is attached only to roles that Step Functions assumes."""
    resources = template["Resources"]
    roles = [ref_id(r) for r in resources[owner].get("Properties", {}).get("Roles", [])]
    principals = {
        str(s["Principal"].get("Service"))
        for role in roles
        if role in resources
        for s in resources[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    }
    return bool(roles) and principals == {"states.amazonaws.com"}


# What Lambda's DynamoDB stream event source mapping needs on '*' (ListStreams has no resource-level
# permissions): allowed to the roles of functions fed by a stream only.
STREAM_CONSUMER_STAR_ACTIONS = {"dynamodb:ListStreams"}


def _stream_consumer_policy(template: dict[str, Any], owner: str) -> bool:
    """Whether the policy ``owner`` is attached only to roles of functions a stream mapping feeds."""
    resources = template["Resources"]
    consumers = {
        ref_id(props["FunctionName"])
        for props in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping")
        if "StartingPosition" in props
    }
    consumer_roles = {ref_id(resources[f]["Properties"]["Role"]) for f in consumers if f in resources}
    roles = {ref_id(r) for r in resources[owner].get("Properties", {}).get("Roles", [])}
    return bool(roles) and roles <= consumer_roles


# PutMetricData has no resource type either: allowed on '*' only within the project's namespace.
METRICS_CONDITION = {"StringEquals": {"cloudwatch:namespace": c.METRICS_NAMESPACE}}


def test_star_resources_only_for_actions_that_have_no_resource_level_permissions(synth: Synthesised) -> None:
    for owner, statement in all_policy_statements(synth.template):
        if statement.actions == ("cloudwatch:PutMetricData",):
            assert (statement.resources, statement.conditions) == (("*",), METRICS_CONDITION), owner
            continue
        if set(statement.actions) <= STATE_MACHINE_STAR_ACTIONS and _state_machine_policy(synth.template, owner):
            assert statement.resources == ("*",)
            continue
        if set(statement.actions) <= STREAM_CONSUMER_STAR_ACTIONS and _stream_consumer_policy(synth.template, owner):
            assert statement.resources == ("*",)
            continue
        if statement.effect == "Allow" and "*" in statement.resources:
            assert set(statement.actions) <= STAR_RESOURCE_ACTIONS, f"{owner}: {statement.actions} on '*'"
            assert not any(a.split(":")[0] in DATA_SERVICES for a in statement.actions)


def test_only_the_api_gateway_logging_role_uses_a_managed_policy(synth: Synthesised) -> None:
    for logical_id, props in synth.properties("AWS::IAM::Role").items():
        managed = [join_text(p) for p in props.get("ManagedPolicyArns", [])]
        assumed_by = {s["Principal"].get("Service") for s in props["AssumeRolePolicyDocument"]["Statement"]}
        if managed:
            assert assumed_by == {"apigateway.amazonaws.com"}, logical_id
            assert all(m.endswith("/AmazonAPIGatewayPushToCloudWatchLogs") for m in managed), managed


# ---- who can call what ------------------------------------------------------------------------------


def test_the_webhook_function_url_is_the_only_unauthenticated_entry(synth: Synthesised) -> None:
    webhook = function_id(synth.template, c.WEBHOOK_FUNCTION)
    [url] = synth.properties("AWS::Lambda::Url").values()
    assert ref_id(url["TargetFunctionArn"]) == webhook
    assert (url["AuthType"], url["InvokeMode"]) == ("NONE", "BUFFERED")
    assert "Cors" not in url
    assert "Qualifier" not in url
    assert not [r for r in synth.template["Resources"].values() if r["Type"].startswith("AWS::ApiGatewayV2::")]
    assert not synth.resources("AWS::ApiGateway::Method"), "REST methods come only from the agent API's swagger"
    public = {}
    for props in synth.properties("AWS::Lambda::Permission").values():
        if props["Principal"] == "*":
            assert ref_id(props["FunctionName"]) == webhook, props
            public[props["Action"]] = props
        else:
            assert props["Principal"] == "apigateway.amazonaws.com", props
    # Since October 2025 a NONE function URL needs both statements; InvokeFunction is limited to URL calls.
    assert set(public) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    assert public["lambda:InvokeFunctionUrl"]["FunctionUrlAuthType"] == "NONE"
    assert public["lambda:InvokeFunction"]["InvokedViaFunctionUrl"] is True


# A department's answer link: its signed, expiring token is the credential (the department may have no
# agent account); every other agent API method needs the user pool.
ANSWER_LINK_PATHS = {"/answers/{token}"}


def test_every_agent_api_method_but_the_answer_link_requires_the_stacks_cognito_user_pool(synth: Synthesised) -> None:
    [pool] = synth.resources("AWS::Cognito::UserPool")
    apis = synth.properties(SAM_API)
    assert apis
    for props in apis.values():
        body = props["DefinitionBody"]
        cognito = {
            name
            for name, d in body["securityDefinitions"].items()
            if d.get("x-amazon-apigateway-authtype") == "cognito_user_pools"
            and d["x-amazon-apigateway-authorizer"]["providerARNs"] == [{"Fn::GetAtt": [pool, "Arn"]}]
        }
        assert cognito, "no authorizer points at this stack's user pool"
        methods = [(path, verb, op) for path, ops in body["paths"].items() for verb, op in ops.items()]
        assert methods
        for path, verb, op in methods:
            if verb == "options":  # CORS preflight carries no credentials by design
                continue
            security = {name for requirement in op.get("security", []) for name in requirement}
            if path in ANSWER_LINK_PATHS:
                assert not security, f"{verb.upper()} {path}: the link's own token is the credential"
                continue
            assert security & cognito, f"{verb.upper()} {path} is not behind the Cognito authorizer"
        assert {path for path, _, _ in methods} >= ANSWER_LINK_PATHS


def test_agents_cannot_sign_themselves_up_or_change_their_own_teams(synth: Synthesised) -> None:
    [pool] = synth.properties("AWS::Cognito::UserPool").values()
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    teams = f"custom:{c.TEAMS_ATTRIBUTE}"
    assert {"Name": c.TEAMS_ATTRIBUTE, "AttributeDataType": "String", "Mutable": True}.items() <= next(
        a for a in pool["Schema"] if a["Name"] == c.TEAMS_ATTRIBUTE
    ).items()
    [client] = synth.properties("AWS::Cognito::UserPoolClient").values()
    assert teams in client["ReadAttributes"], "the ID token must carry the teams claim"
    assert teams not in client["WriteAttributes"], "an agent could grant themselves every team"
    assert client["GenerateSecret"] is False
    assert "AllowedOAuthFlows" not in client, "no hosted-UI / redirect flows"
    groups = {p["GroupName"] for p in synth.properties("AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(c.AGENT_GROUPS)


def test_a_user_in_each_deployed_group_is_an_agent_api_caller_with_that_role_and_their_teams(
    synth: Synthesised,
) -> None:
    """The claims API Gateway's Cognito authorizer hands the app for a user of this pool: the groups
    the stack creates and the custom attribute it defines must be the ones the API reads."""
    [pool] = synth.properties("AWS::Cognito::UserPool").values()
    [teams] = [a for a in pool["Schema"] if a["Name"] == c.TEAMS_ATTRIBUTE]
    assert f"custom:{teams['Name']}" == c.TEAMS_CLAIM
    groups = {p["GroupName"] for p in synth.properties("AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(ROLE_GROUPS.values())
    for group in sorted(groups):
        claims = {
            "token_use": "id",
            "cognito:username": "alice",
            "cognito:groups": group,  # API Gateway passes a single group as a plain string
            c.TEAMS_CLAIM: "care,care-uk",  # as an admin sets the attribute (README)
            "email": "alice@example.com",
            "name": "Alice Smith",
        }
        caller = caller_from_claims(claims)
        assert ROLE_GROUPS[caller.role] == group
        assert caller.teams == {"care", "care-uk"}


def test_prod_requires_mfa_and_a_strong_password(prod: Synthesised) -> None:
    [pool] = prod.properties("AWS::Cognito::UserPool").values()
    assert pool["MfaConfiguration"] == "ON"
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert all(policy[k] for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"))


# ---- data at rest and in transit --------------------------------------------------------------------


def _denies_insecure_transport(policy: dict[str, Any]) -> bool:
    return any(
        s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in policy["Statement"]
    )


def test_every_queue_is_encrypted_and_refuses_plain_http(synth: Synthesised) -> None:
    queues = synth.properties("AWS::SQS::Queue")
    policies = synth.properties("AWS::SQS::QueuePolicy").values()
    for logical_id, props in queues.items():
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, logical_id
        covering = [p for p in policies if logical_id in [ref_id(q) for q in p["Queues"]]]
        assert any(_denies_insecure_transport(p["PolicyDocument"]) for p in covering), logical_id


def _private_encrypted_tls_only(synth: Synthesised, logical_name: str) -> dict[str, Any]:
    raw_id = bucket_id(synth.template, logical_name)
    bucket = synth.template["Resources"][raw_id]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    [policy] = [p for p in synth.properties("AWS::S3::BucketPolicy").values() if ref_id(p["Bucket"]) == raw_id]
    assert _denies_insecure_transport(policy["PolicyDocument"])
    return dict(bucket)


def test_raw_bucket_is_private_encrypted_tls_only_and_expires_deliveries(synth: Synthesised) -> None:
    bucket = _private_encrypted_tls_only(synth, c.RAW_BUCKET_LOGICAL_NAME)
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", c.RAW_RETENTION_DAYS)


def test_reports_bucket_is_private_encrypted_tls_only_and_keeps_its_reports(synth: Synthesised) -> None:
    bucket = _private_encrypted_tls_only(synth, c.REPORTS_BUCKET_LOGICAL_NAME)
    assert all("ExpirationInDays" not in rule for rule in bucket["LifecycleConfiguration"]["Rules"])


def test_the_report_function_may_read_the_table_and_the_queues_and_write_reports_only(synth: Synthesised) -> None:
    i = ids_of(synth)
    table = f"<{i['table']}.Arn>"
    assert grants(synth, i[f"{c.REPORT_FUNCTION}.role"]) == {
        "dynamodb:Query": {table, f"{table}/index/{c.QUEUE_INDEX}"},
        "s3:PutObject": {f"<{i['reports']}.Arn>/{c.REPORTS_KEY_PREFIX}*"},
        **observability(i[f"{c.REPORT_FUNCTION}.logs"]),
    }


class _Recorded:
    def __init__(self) -> None:
        self.items: list[Any] = []

    def put(self, key: str, body: bytes, *, metadata: dict[str, str]) -> None:
        self.items.append(key)

    def send(self, envelope: Any) -> None:
        self.items.append(envelope)


def secret_named(synth: Synthesised, name: str) -> tuple[str, dict[str, Any]]:
    [found] = [(k, p) for k, p in synth.properties("AWS::SecretsManager::Secret").items() if p["Name"] == name]
    return found


def test_platform_secret_starts_empty_so_every_delivery_is_refused_until_filled(synth: Synthesised) -> None:
    _, secret = secret_named(synth, f"{c.PLATFORM_SECRET_NAME}/{synth.stage}")
    credentials = PlatformCredentials.from_dict(json.loads(secret["SecretString"]))
    assert credentials == PlatformCredentials(), "the placeholder must configure no platform"

    stored, queued = _Recorded(), _Recorded()
    webhook = WebhookService(credentials=lambda: credentials, raw_store=stored, queue=queued, clock=lambda: 0)
    payload = p.meta_delivery("page", [p.meta_entry("1047", [p.messenger_message("1047", "77", "m_1", "hi", 1)])])
    body, headers = meta_request("any-app-secret", payload)
    with pytest.raises(errors.SignatureInvalid):
        webhook.receive("meta", headers, body)
    with pytest.raises(errors.HandshakeRejected):
        webhook.handshake("meta", {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "guess"})
    assert stored.items == queued.items == []


def generated_like_secrets_manager(spec: dict[str, Any], client: Any) -> str:
    """What Secrets Manager stores for a template's GenerateSecretString: a password made with the
    same options GetRandomPassword takes, under GenerateStringKey in SecretStringTemplate."""
    options = {
        "PasswordLength",
        "ExcludeCharacters",
        "ExcludeLowercase",
        "ExcludeNumbers",
        "ExcludePunctuation",
        "ExcludeUppercase",
        "IncludeSpace",
        "RequireEachIncludedType",
    }
    assert set(spec) <= {*options, "SecretStringTemplate", "GenerateStringKey"}, spec
    password = client.get_random_password(**{k: v for k, v in spec.items() if k in options})["RandomPassword"]
    document = json.loads(spec["SecretStringTemplate"])
    document[spec["GenerateStringKey"]] = password
    return json.dumps(document)


def test_the_api_secret_is_generated_in_the_shape_the_agent_api_loads(synth: Synthesised, aws_env: None) -> None:
    import boto3
    from moto import mock_aws

    logical_id, secret = secret_named(synth, f"{c.API_SECRET_NAME}/{synth.stage}")
    assert "SecretString" not in secret, "the key is generated in AWS, never written in the template"
    spec = secret["GenerateSecretString"]
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arns = [
            client.create_secret(Name=f"api-{n}", SecretString=generated_like_secrets_manager(spec, client))["ARN"]
            for n in range(2)
        ]
        keys = [load_cursor_key(arn, client=client) for arn in arns]
    assert keys[0] != keys[1], "a fresh random key per deployment"
    first, other = CursorCodec(keys[0]), CursorCodec(keys[1])
    cursor = first.encode("queue:care", {"PK": "CASE#1"})
    assert first.decode("queue:care", cursor) == {"PK": "CASE#1"}
    with pytest.raises(errors.InvalidCursor):
        other.decode("queue:care", cursor)

    # Every agent API function gets its ARN (a reference, never the value); only its role reads it, and
    # the outbound function's, which signs the department answer links with a key derived from it.
    for props in synth.properties(SAM_FUNCTION).values():
        assert ref_id(props["Environment"]["Variables"][c.ENV_API_SECRET_ARN]) == logical_id
    [api_role] = {ref_id(p["Role"]) for p in synth.properties(SAM_FUNCTION).values()}
    outbound_role = ids_of(synth)["outbound.role"]
    readers = {
        owner
        for owner, statement in all_policy_statements(synth.template)
        if "secretsmanager:GetSecretValue" in statement.actions and {"Ref": logical_id} in statement.resources
    }
    policies = synth.properties("AWS::IAM::Policy")
    assert readers
    reader_roles = {ref_id(r) for owner in readers for r in policies[owner]["Roles"]}
    assert reader_roles == {api_role, outbound_role}


def test_no_function_environment_holds_a_secret_value(synth: Synthesised) -> None:
    for logical_id, props in functions(synth.template).items():
        for key, value in props.get("Environment", {}).get("Variables", {}).items():
            assert not any(word in key.upper() for word in ("TOKEN", "PASSWORD", "APP_SECRET")), (logical_id, key)
            if key in (c.ENV_PLATFORM_SECRET_ARN, c.ENV_API_SECRET_ARN):
                assert ref_id(value), "the secret is referenced by ARN, never inlined"
