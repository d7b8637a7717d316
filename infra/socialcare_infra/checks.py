"""The security rule pack (cdk-nag AwsSolutions) and the one way findings are acknowledged.

cdk-nag 3.x runs as a CDK policy-validation plugin: a finding that is not acknowledged makes
``app.synth()`` raise, so nothing unreviewed reaches a template. Each acknowledgement sits next to
the construct it concerns and must say why the finding does not apply or is accepted.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

MIN_REASON_LENGTH = 40


def attach_security_checks(app: cdk.App) -> None:
    """Run the AwsSolutions rule pack over every stack of ``app`` at synthesis."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one finding (``AwsSolutions-S1`` or ``AwsSolutions-IAM5[Resource::*]``) on ``scope``."""
    if len(reason.strip()) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledging {rule} needs a real reason, not {reason!r}")
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))
