"""The state-machine and schedule constructs on their own: a test fixture ASL file and an imported
function in a small stack, with the same security rule pack as the app (the app's own schedule, the
surge check's, is checked in ``test_surges_infra.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from cfnlint.api import ManualArgs, lint_file
from socialcare_infra.checks import attach_security_checks
from socialcare_infra.components.schedules import ScheduledInvocation
from socialcare_infra.components.workflows import StateMachineDefinitionError, StateMachines
from socialcare_infra.config import load_stage

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

FIXTURES = Path(__file__).parent / "fixtures" / "state_machines"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:socialcare-metrics-dev"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    outdir = tmp_path_factory.mktemp("workflows")
    app = cdk.App(outdir=str(outdir))
    attach_security_checks(app)
    stack = cdk.Stack(app, "Workflows")
    StateMachines(
        stack,
        "StateMachines",
        directory=FIXTURES,
        substitutions={"TableName": "socialcare-dev", "OutboundQueueUrl": "https://sqs/unused"},
        config=load_stage("dev"),
    )
    ScheduledInvocation(
        stack,
        "Publisher",
        function=lambda_.Function.from_function_attributes(
            stack, "Metrics", function_arn=FUNCTION_ARN, same_environment=True
        ),
        every=cdk.Duration.minutes(5),
        description="publish metrics",
        dead_letter_queue_name="socialcare-metrics-missed-runs-dev",
    )
    app.synth()  # raises if the rule pack finds anything unacknowledged
    path = outdir / "Workflows.template.json"
    return json.loads(path.read_text()), path


def of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


def test_each_asl_file_becomes_a_logged_traced_standard_machine(template: tuple[dict[str, Any], Path]) -> None:
    doc, _ = template
    [machine] = of_type(doc, "AWS::StepFunctions::StateMachine")
    assert machine["StateMachineName"] == "socialcare-fixture-timer-dev"
    assert machine["StateMachineType"] == "STANDARD"
    assert machine["DefinitionSubstitutions"] == {"TableName": "socialcare-dev"}, "only what the file uses"
    assert "DefinitionS3Location" in machine, "the definition is the file itself, uploaded as an asset"
    assert machine["TracingConfiguration"] == {"Enabled": True}
    logging = machine["LoggingConfiguration"]
    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ALL", False)


def test_the_schedule_invokes_only_its_function_with_retries_and_a_dead_letter_queue(
    template: tuple[dict[str, Any], Path],
) -> None:
    doc, _ = template
    [schedule] = of_type(doc, "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    target = schedule["Target"]
    assert target["Arn"] == FUNCTION_ARN
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    assert "DeadLetterConfig" in target
    statements = [s for p in of_type(doc, "AWS::IAM::Policy") for s in p["PolicyDocument"]["Statement"]]
    invoke = [s for s in statements if s["Action"] == "lambda:InvokeFunction"]
    assert invoke
    for statement in invoke:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all(FUNCTION_ARN in json.dumps(r) for r in resources), resources


def test_a_schedule_is_a_rate_or_a_cron_never_both() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    function = lambda_.Function.from_function_attributes(stack, "F", function_arn=FUNCTION_ARN, same_environment=True)
    for when in ({}, {"every": cdk.Duration.minutes(1), "cron": "cron(15 0 * * ? *)"}):
        with pytest.raises(ValueError, match="either every"):
            ScheduledInvocation(
                stack, f"S{len(when)}", function=function, description="d", dead_letter_queue_name="q", **when
            )


def test_the_workflow_template_passes_cfn_lint(template: tuple[dict[str, Any], Path]) -> None:
    _, path = template
    matches = lint_file(path, config=ManualArgs(regions=["us-east-1"]))
    assert [f"{m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")] == []


def test_a_placeholder_without_substitution_fails_synthesis_naming_it(tmp_path: Path) -> None:
    (tmp_path / "broken.asl.json").write_text(
        json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${QueueArn}", "End": True}}})
    )
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(StateMachineDefinitionError, match=r"broken\.asl\.json uses \$\{QueueArn\}"):
        StateMachines(stack, "M", directory=tmp_path, substitutions={"TableName": "t"}, config=load_stage("dev"))


def test_a_definition_that_is_not_json_fails_synthesis(tmp_path: Path) -> None:
    (tmp_path / "broken.asl.json").write_text('{"StartAt": "A", ')
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(StateMachineDefinitionError, match=r"broken\.asl\.json is not valid JSON"):
        StateMachines(stack, "M", directory=tmp_path, substitutions={}, config=load_stage("dev"))
