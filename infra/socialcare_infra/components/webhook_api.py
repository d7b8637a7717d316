"""The public webhook endpoint: an API Gateway HTTP API, ``GET`` and ``POST /webhooks/{platform}``.

Unauthenticated at the gateway on purpose: Meta, X and Telegram cannot present AWS or Cognito
credentials. Each delivery is authenticated by the webhook function instead (HMAC signature on the
raw body, or Telegram's secret token, in constant time) before anything is stored or enqueued.
"""

from __future__ import annotations

import json

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct
from socialcare import constants as c

from socialcare_infra.checks import acknowledge
from socialcare_infra.components.log_groups import stage_log_group
from socialcare_infra.config import StageConfig
from socialcare_infra.names import ResourceNames

WEBHOOK_PATH = "/webhooks/{platform}"

# Access log fields: who called what and how it ended; never the query string (Meta's verify
# token and X's CRC token travel there) nor any header or body.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "method": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integrationErrorMessage",
}


class WebhookApi(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        handler: lambda_.IFunction,
        config: StageConfig,
        names: ResourceNames,
    ) -> None:
        super().__init__(scope, id)
        self.api = apigwv2.HttpApi(
            self,
            "Api",
            api_name=f"socialcare-webhooks-{config.name}",
            description="Platform webhooks (Meta, X, Telegram); deliveries are verified by signature in the function",
            create_default_stage=True,
        )
        self.access_logs = stage_log_group(self, "AccessLogs", config=config)
        stage = self.api.default_stage
        assert stage is not None
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn, format=json.dumps(ACCESS_LOG_FORMAT)
        )
        cfn_stage.default_route_settings = apigwv2.CfnStage.RouteSettingsProperty(
            throttling_rate_limit=config.api_throttle_rate, throttling_burst_limit=config.api_throttle_burst
        )
        self.routes = self.api.add_routes(
            path=WEBHOOK_PATH,
            methods=[apigwv2.HttpMethod.GET, apigwv2.HttpMethod.POST],
            integration=HttpLambdaIntegration("Webhook", handler),
        )
        for route in self.routes:
            acknowledge(
                route,
                "AwsSolutions-APIG4",
                "Platform webhooks cannot carry AWS or Cognito credentials; the webhook function authenticates "
                "every delivery by the platform's signature on the raw body (401/403 otherwise) before storing it.",
            )

    def url_for(self, platform: str) -> str:
        assert platform in c.WEBHOOK_PLATFORMS
        return f"{self.api.api_endpoint}/webhooks/{platform}"
