"""Agents, leads and admins: a Cognito user pool with one group per role and the ``custom:teams`` claim.

The groups are the ones the agent API maps to roles (``socialcare.agents.identity.ROLE_GROUPS``): a
user in any other group is refused by the API.

Only administrators create users (no self sign-up). The app client may read ``custom:teams`` (so the
ID token carries it to the API) but never write it: an agent who could edit their own teams could
read every team's cases.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct
from socialcare import constants as c
from socialcare.agents.identity import ROLE_GROUPS, Role

from socialcare_infra.checks import acknowledge
from socialcare_infra.config import StageConfig
from socialcare_infra.names import ResourceNames

ROLE_DESCRIPTIONS = {
    Role.AGENT: "Agents: work the cases of their own teams",
    Role.LEAD: "Leads: agents who may also assign and reassign within their teams",
    Role.ADMIN: "Admins: everything, every team, and the brand profiles",
}


class AgentDirectory(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        names: ResourceNames,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, id)
        self.user_pool = self._user_pool(config, names, removal_policy)
        self.groups = {
            group: cognito.UserPoolGroup(
                self, f"{role.value.title()}Group", user_pool=self.user_pool, group_name=group,
                description=ROLE_DESCRIPTIONS[role],
            )
            for role, group in ROLE_GROUPS.items()
        }  # fmt: skip
        self.client = self._api_client(config)

    def _user_pool(self, config: StageConfig, names: ResourceNames, removal_policy: RemovalPolicy) -> cognito.UserPool:
        mfa_required = config.user_pool_mfa == "required"
        user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=names.user_pool,
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
                fullname=cognito.StandardAttribute(required=False, mutable=True),
            ),
            custom_attributes={c.TEAMS_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=2048, mutable=True)},
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED if mfa_required else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS
            if config.user_pool_threat_protection
            else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if config.user_pool_threat_protection else None
            ),
            deletion_protection=config.deletion_protection,
            removal_policy=removal_policy,
        )
        if not mfa_required:
            acknowledge(
                user_pool,
                "AwsSolutions-COG2",
                f"Stage {config.name!r} sets user_pool_mfa = 'optional' in infra/stages.toml (a development pool of "
                "test agents); TOTP is offered to every user and required in prod.",
            )
        if not config.user_pool_threat_protection:
            acknowledge(
                user_pool,
                "AwsSolutions-COG8",
                f"Stage {config.name!r} sets user_pool_threat_protection = false in infra/stages.toml: the Plus "
                "plan's compromised-credential checks are paid per user and enabled in prod.",
            )
        return user_pool

    def _api_client(self, config: StageConfig) -> cognito.UserPoolClient:
        """The app client agents sign in with from the command line (no hosted UI)."""
        readable = (
            cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(c.TEAMS_ATTRIBUTE)
        )
        writable = cognito.ClientAttributes().with_standard_attributes(fullname=True)
        return self.user_pool.add_client(
            "ApiClient",
            user_pool_client_name=f"socialcare-api-{config.name}",
            generate_secret=False,  # a public client: curl and command-line tools sign in with it
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            disable_o_auth=True,  # no hosted UI and no redirect flows: tokens come from InitiateAuth only
            prevent_user_existence_errors=True,
            read_attributes=readable,
            write_attributes=writable,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )
