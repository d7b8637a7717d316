"""The security rule pack (cdk-nag AwsSolutions) and the one way findings are acknowledged.

cdk-nag 3.x runs as a CDK policy-validation plugin: a finding that is not acknowledged makes
``app.synth()`` raise, so nothing unreviewed reaches a template. Each acknowledgement sits next to
the construct it concerns and must say why the finding does not apply or is accepted.

Audit mode (``cdk synth -c socialcare:audit=true``) records the acknowledgements without applying
them: the synthesis then fails listing every finding, acknowledged or not, which shows that each
acknowledgement answers a real finding (the infra tests do this).
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

AUDIT_CONTEXT_KEY = "socialcare:audit"
METADATA_TYPE = "socialcare:acknowledged"
MIN_REASON_LENGTH = 40


@dataclass(frozen=True)
class Acknowledgement:
    path: str
    rule: str
    reason: str


def attach_security_checks(app: cdk.App) -> None:
    """Run the AwsSolutions rule pack over every stack of ``app`` at synthesis."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one finding (``AwsSolutions-S1`` or ``AwsSolutions-IAM5[Resource::*]``) on ``scope``."""
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledging {rule} needs a real reason, not {reason!r}")
    scope.node.add_metadata(METADATA_TYPE, {"rule": rule, "reason": reason})
    if str(scope.node.try_get_context(AUDIT_CONTEXT_KEY)).lower() != "true":
        cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def acknowledgements(root: IConstruct) -> list[Acknowledgement]:
    """Every acknowledgement made under ``root``, with the path of the construct it was made on."""
    found = []
    for node in root.node.find_all():
        for entry in node.node.metadata:
            if entry.type == METADATA_TYPE:
                found.append(Acknowledgement(node.node.path, entry.data["rule"], entry.data["reason"]))
    return found
