"""The Chalice agent API (``chalice_config/``) inside the same deployment, via ``chalice.cdk.Chalice``.

Chalice packages the app (``chalice package``: a SAM template and a deployment zip) and the construct
includes it in this stack. What Chalice decides from the machine that packages it, or cannot know,
is then set on the included resources, so the deployed API does not depend on where it was built:

- every function gets the one runtime and architecture (Chalice would use the local Python, x86_64),
  the core layer (``socialcare`` and its dependencies; ``requirements.txt`` stays empty), a role
  owned by this app with exactly the API's grants, its own log group, active tracing, and the
  environment ``chalicelib.wiring.ApiConfig.from_env`` reads: this stack's table, outbound queue,
  the API's own secret (the cursor key), the department escalation machine, and what the report
  routes read (``ReportConfig``);
- every Cognito authorizer in the app's swagger is pointed at this stack's user pool, whatever ARN
  the app was written with;
- the REST API gets this stage's name, access logs, X-Ray tracing and throttling.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from aws_cdk import CfnResource, Stack, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from chalice import api as chalice_api
from chalice.cdk import Chalice
from constructs import Construct
from socialcare import constants as c

from socialcare_infra import access
from socialcare_infra.checks import acknowledge
from socialcare_infra.components.functions import report_environment
from socialcare_infra.components.log_groups import stage_log_group
from socialcare_infra.components.permissions import CoreResources, grant_access, grant_logging_and_tracing, lambda_role
from socialcare_infra.config import StageConfig
from socialcare_infra.names import ResourceNames
from socialcare_infra.runtime import ARCHITECTURE_NAME, RUNTIME_NAME

SAM_FUNCTION = "AWS::Serverless::Function"
SAM_API = "AWS::Serverless::Api"
COGNITO_AUTH_TYPE = "cognito_user_pools"
API_MEMORY_MB = 512
# Chalice needs some role ARN when it does not manage the role; every function's Role is then
# replaced by the role this construct creates.
_ROLE_REPLACED_BELOW = "arn:aws:iam::000000000000:role/replaced-by-socialcare-infra"

ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "caller": "$context.authorizer.claims.cognito:username",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "authorizerError": "$context.authorizer.error",
}


class _StagedChalice(Chalice):
    """``chalice.cdk.Chalice`` packaging a named stage of ``.chalice/config.json``.

    The upstream construct uses the scope's construct path as the Chalice stage name, which is never
    a stage of the app's config; this packages ``chalice_stage`` instead (chalice 1.34, pinned).
    """

    def __init__(self, scope: Construct, id: str, *, chalice_stage: str, **kwargs: Any) -> None:
        self._chalice_stage = chalice_stage
        super().__init__(scope, id, **kwargs)

    def _package_app(self) -> None:
        chalice_api.package_app(
            project_dir=self.source_dir,
            output_dir=self._sam_package_dir,
            stage=self._chalice_stage,
            chalice_config=self.stage_config,
        )


class AgentApi(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        source_dir: Path,
        config: StageConfig,
        names: ResourceNames,
        layer: lambda_.ILayerVersion,
        user_pool: cognito.IUserPool,
        resources: CoreResources,
    ) -> None:
        super().__init__(scope, id)
        self.role = lambda_role(self, "Role", description=f"socialcare agent API functions ({config.name})")
        grant_access(self.role, access.ACCESS[c.AGENT_API_APP_NAME], resources)
        self.environment = {
            c.ENV_TABLE_NAME: resources.table.table.table_name,
            c.ENV_OUTBOUND_QUEUE_URL: resources.queues.outbound.queue.queue_url,
            c.ENV_API_SECRET_ARN: resources.api_secret.secret.secret_arn,
            # The deployed routing rules: GET /admin/routing/rules shows them while none are stored.
            **({c.ENV_ROUTING_RULES: json.dumps(config.routing_rules, sort_keys=True)} if config.routing_rules else {}),
            # The reports it serves (stored, or computed for a day not stored).
            **report_environment(resources, config),
        }
        if resources.department_escalation is not None:
            self.environment[c.ENV_DEPARTMENT_ESCALATION_ARN] = resources.department_escalation.state_machine_arn
        self.access_logs = stage_log_group(self, "AccessLogs", config=config)

        with _packaging_directory() as scratch, _region_for_packaging(Stack.of(self).region):
            self.chalice = _StagedChalice(
                self,
                "Chalice",
                chalice_stage=config.name,
                source_dir=str(source_dir),
                stage_config={
                    "manage_iam_role": False,
                    "iam_role_arn": _ROLE_REPLACED_BELOW,
                    "autogen_policy": False,
                    "automatic_layer": False,
                    "xray": True,
                    "api_gateway_endpoint_type": "REGIONAL",
                    "lambda_memory_size": API_MEMORY_MB,
                    "lambda_timeout": c.AGENT_API_TIMEOUT_S,
                },
            )
            template = _sam_template(scratch)

        self.function_ids: list[str] = []
        self.log_groups: dict[str, logs.LogGroup] = {}
        for logical_id, _ in _resources_of_type(template, SAM_FUNCTION):
            function = self.chalice.get_resource(logical_id)
            log_group = stage_log_group(self, f"{logical_id}Logs", config=config)
            grant_logging_and_tracing(self.role, log_group)
            function.add_property_override("Runtime", RUNTIME_NAME)
            function.add_property_override("Architectures", [ARCHITECTURE_NAME])
            function.add_property_override("Layers", [layer.layer_version_arn])
            function.add_property_override("Role", self.role.role_arn)
            function.add_property_override("Tracing", "Active")
            function.add_property_override("LoggingConfig", {"LogGroup": log_group.log_group_name, "LogFormat": "Text"})
            for key, value in self.environment.items():
                function.add_property_override(f"Environment.Variables.{key}", value)
            self.function_ids.append(logical_id)
            self.log_groups[logical_id] = log_group

        self.rest_api_ids: list[str] = []
        for logical_id, resource in _resources_of_type(template, SAM_API):
            rest_api = self.chalice.get_resource(logical_id)
            self._configure_rest_api(rest_api, resource, config=config, names=names, user_pool=user_pool)
            self.rest_api_ids.append(logical_id)
        if len(self.rest_api_ids) != 1:
            raise ValueError(f"expected one REST API in the Chalice app, found {self.rest_api_ids}")
        self.api_name = names.agent_api
        self.api_stage = str(template["Resources"][self.rest_api_ids[0]]["Properties"]["StageName"])
        if config.api_gateway_cloudwatch_role:
            account = _ApiGatewayLogging(self, "ApiGatewayLogging")
            for logical_id in self.rest_api_ids:
                self.chalice.get_resource(logical_id).node.add_dependency(account.account)

    def function_name(self, logical_id: str) -> str:
        return str(self.chalice.get_resource(logical_id).ref)

    @property
    def url(self) -> str:
        rest_api = self.chalice.get_resource(self.rest_api_ids[0])
        stack = Stack.of(self)
        return f"https://{rest_api.ref}.execute-api.{stack.region}.{stack.url_suffix}/{self.api_stage}/"

    def _configure_rest_api(
        self,
        rest_api: CfnResource,
        resource: Mapping[str, Any],
        *,
        config: StageConfig,
        names: ResourceNames,
        user_pool: cognito.IUserPool,
    ) -> None:
        rest_api.add_property_override("Name", names.agent_api)
        rest_api.add_property_override("TracingEnabled", True)
        rest_api.add_property_override(
            "AccessLogSetting",
            {"DestinationArn": self.access_logs.log_group_arn, "Format": json.dumps(ACCESS_LOG_FORMAT)},
        )
        rest_api.add_property_override(
            "MethodSettings",
            [
                {
                    "ResourcePath": "/*",
                    "HttpMethod": "*",
                    "ThrottlingRateLimit": config.api_throttle_rate,
                    "ThrottlingBurstLimit": config.api_throttle_burst,
                    # Per-method metrics are billed as custom metrics (≈ 7 per route per month); the
                    # API-level Count/4XX/5XX/Latency the alarms and dashboard use are free.
                    "MetricsEnabled": False,
                    # Execution logs at ERROR only, never request or response bodies.
                    "LoggingLevel": "ERROR" if config.api_gateway_cloudwatch_role else "OFF",
                    "DataTraceEnabled": False,
                }
            ],
        )
        definitions = resource["Properties"].get("DefinitionBody", {}).get("securityDefinitions", {})
        for name, definition in definitions.items():
            if definition.get("x-amazon-apigateway-authtype") == COGNITO_AUTH_TYPE:
                rest_api.add_property_override(
                    f"DefinitionBody.securityDefinitions.{name}.x-amazon-apigateway-authorizer.providerARNs",
                    [user_pool.user_pool_arn],
                )


class _ApiGatewayLogging(Construct):
    """The account's API Gateway CloudWatch role, which REST API access and execution logs need.

    One per account and region: a stage that shares its account with another deployment that already
    sets it can turn this off (``api_gateway_cloudwatch_role = false``).
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonAPIGatewayPushToCloudWatchLogs")
            ],
        )
        acknowledge(
            role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's own service role for writing REST API logs; AWS maintains this policy as the "
            "documented minimum for that service and it grants nothing on data.",
        )
        self.account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)


def _resources_of_type(template: Mapping[str, Any], kind: str) -> list[tuple[str, Mapping[str, Any]]]:
    return sorted((k, v) for k, v in template.get("Resources", {}).items() if v.get("Type") == kind)


@contextlib.contextmanager
def _packaging_directory() -> Iterator[Path]:
    """Run the construct in a scratch directory: it writes ``./chalice.out`` and never cleans it up.

    The deployment zip is staged into the cloud assembly and the template read while the construct
    is built, so the scratch directory can go as soon as it is.
    """
    scratch = Path(tempfile.mkdtemp(prefix="socialcare-chalice-"))
    previous = Path.cwd()
    os.chdir(scratch)
    try:
        yield scratch
    finally:
        os.chdir(previous)
        shutil.rmtree(scratch, ignore_errors=True)


def _sam_template(scratch: Path) -> dict[str, Any]:
    """The SAM template the construct just included (written under the scratch directory)."""
    [path] = (scratch / "chalice.out").glob("*.sam_with_assets.json")
    with path.open() as f:
        document: dict[str, Any] = json.load(f)
    return document


@contextlib.contextmanager
def _region_for_packaging(region: str) -> Iterator[None]:
    """``chalice package`` needs a region to build ARNs; a token region (env-agnostic stack) is not one."""
    if os.environ.get("AWS_DEFAULT_REGION"):
        yield
        return
    os.environ["AWS_DEFAULT_REGION"] = "us-east-1" if Token.is_unresolved(region) else region
    try:
        yield
    finally:
        os.environ.pop("AWS_DEFAULT_REGION", None)
