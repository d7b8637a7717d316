"""Synthesis, cfn-lint and the security rule pack; what Chalice packages; function discovery."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cfnlint.api import ManualArgs, lint_file
from socialcare_infra.checks import AUDIT_CONTEXT_KEY, acknowledge, acknowledgements, attach_security_checks
from socialcare_infra.components.functions import TRIGGERS, discover_functions
from socialcare_infra.stack import Sources
from socialcare_infra.synth import synthesise

from tests.infra.conftest import Synthesised
from tests.infra.helpers import SAM_FUNCTION

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

# CDK adds an explicit DependsOn on a role that the function also references by GetAtt: harmless.
ACCEPTED_WARNINGS = {"W3005"}


def test_template_passes_cfn_lint_without_errors(synth: Synthesised) -> None:
    matches = lint_file(synth.template_path, config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    errors = [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id.startswith("E")]
    assert errors == []
    warnings = sorted({m.rule.id for m in matches if m.rule.id.startswith("W")} - ACCEPTED_WARNINGS)
    assert warnings == []


def test_the_rule_pack_fails_synthesis_on_an_unacknowledged_finding(tmp_path: Path) -> None:
    """The same wiring as the app: a queue without DLQ, TLS policy or encryption cannot be synthesised."""
    app = cdk.App(outdir=str(tmp_path))
    attach_security_checks(app)
    stack = cdk.Stack(app, "Careless")
    sqs.Queue(stack, "Queue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for r in report["pluginReports"] for v in r["violations"]}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4"} <= rules


def test_an_acknowledgement_needs_a_reason() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(ValueError, match="needs a real reason"):
        acknowledge(stack, "AwsSolutions-S1", "not needed")


def test_every_acknowledgement_answers_a_real_finding(dev: Synthesised, layer_dir: Path, tmp_path: Path) -> None:
    """In audit mode the acknowledgements are not applied: every one must match a finding it silences."""
    acknowledged = acknowledgements(dev.stack)
    assert acknowledged
    for ack in acknowledged:
        assert len(ack.reason) >= 40, ack
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synthesise(
            "dev",
            tmp_path,
            {
                AUDIT_CONTEXT_KEY: "true",
                "alarm_email": "ops@example.com",
                "alarm_https_endpoint": "https://pager.example.com/hook",
            },
            sources=Sources(layer_dir=layer_dir),
        )
    report = json.loads((tmp_path / "validation-report.json").read_text())
    findings = {
        (v["ruleName"], c["constructPath"])
        for r in report["pluginReports"]
        for v in r["violations"]
        for c in v["violatingConstructs"]
    }

    def covers(ack_path: str, finding_path: str) -> bool:
        return finding_path == ack_path or finding_path.startswith(ack_path + "/")

    for ack in acknowledged:
        assert any(rule == ack.rule and covers(ack.path, path) for rule, path in findings), f"stale: {ack}"
    for rule, path in findings:
        assert any(rule == a.rule and covers(a.path, path) for a in acknowledged), f"unacknowledged: {rule} {path}"

    # The same run shows stage keys overridden on the command line (-c alarm_email=...).
    template = json.loads((tmp_path / "socialcare-dev.template.json").read_text())
    subscriptions = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == [
        ("email", "ops@example.com"),
        ("https", "https://pager.example.com/hook"),
    ]
    assert not [r for r in dev.template["Resources"].values() if r["Type"] == "AWS::SNS::Subscription"]


def test_chalice_packages_the_configured_stage_without_any_compiled_code(synth: Synthesised) -> None:
    """The agent API's dependencies come from the layer; the package Chalice builds is its code only."""
    [api] = synth.properties(SAM_FUNCTION).values()
    assert f"stage={synth.stage}:" in api["Tags"]["aws-chalice"]
    package = synth.outdir / f"asset.{api['CodeUri']['Key']}"
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
    assert "app.py" in names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".pyc"))], "compiled code in the Chalice package"
    assert not [n for n in names if ".dist-info/" in n], "dependencies belong in the layer (requirements.txt empty)"


def test_function_folders_without_a_trigger_are_reported_not_deployed(tmp_path: Path) -> None:
    for name in (*TRIGGERS, "exports", "notes"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "handler.py").write_text("def handler(event, context): ...\n")
    (tmp_path / "helpers").mkdir()  # no handler: not a function
    deployable, untriggered = discover_functions(tmp_path)
    assert deployable == sorted(TRIGGERS)
    assert untriggered == ["exports", "notes"]
