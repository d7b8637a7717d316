"""The platform credentials: one Secrets Manager secret, created empty for the operator to fill."""

from __future__ import annotations

from aws_cdk import RemovalPolicy, SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from socialcare_infra.checks import acknowledge
from socialcare_infra.names import ResourceNames

# No platform configured: the webhook refuses every delivery (no secret to verify it with) until the
# operator puts the real document (shape in platforms/credentials.py and the README). CloudFormation
# writes this value only when it changes in the template, so a redeploy never overwrites what the
# operator put: never change it.
PLACEHOLDER_SECRET = "{}"  # noqa: S105 - an empty document, not a secret


class PlatformSecret(Construct):
    def __init__(self, scope: Construct, id: str, *, names: ResourceNames, removal_policy: RemovalPolicy) -> None:
        super().__init__(scope, id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            secret_name=names.platform_secret,
            description="socialcare platform credentials (Meta, X, Telegram): JSON, see README 'Deploying to AWS'",
            secret_string_value=SecretValue.unsafe_plain_text(PLACEHOLDER_SECRET),
            removal_policy=removal_policy,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "The values are app secrets and tokens issued by Meta, X and Telegram in their own consoles; no rotation "
            "function can mint them. The operator rotates them there and puts the new document; the functions "
            "re-read the secret every five minutes, so both old and new app secrets can be listed during a change.",
        )
