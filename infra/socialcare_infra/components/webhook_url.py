"""The public webhook endpoint: the webhook function's URL, ``GET`` and ``POST /webhooks/<platform>``.

A Lambda function URL rather than an API Gateway HTTP API: it costs nothing beyond the function's own
invocations and sends the same payload-format-2.0 event. Unauthenticated on purpose (auth type NONE):
Meta, X and Telegram cannot sign AWS requests. Each delivery is authenticated by the webhook function
instead (HMAC signature on the raw body, or Telegram's secret token, in constant time) before anything
is stored or enqueued; the function answers 404 for any other path and 405 for any other method.

What the gateway gave and this does not: its access log (the function logs one ``webhook request``
line per request instead) and its throttling (the function's reserved concurrency,
``webhook_reserved_concurrency``, bounds a flood instead).
"""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from socialcare import constants as c


class WebhookUrl(Construct):
    def __init__(self, scope: Construct, id: str, *, handler: lambda_.Function) -> None:
        super().__init__(scope, id)
        self.function = handler
        # aws-cdk-lib (2.275) adds both statements a NONE URL needs since October 2025 for principal
        # "*": lambda:InvokeFunctionUrl (FunctionUrlAuthType NONE) and lambda:InvokeFunction limited to
        # calls through the URL (InvokedViaFunctionUrl); tests/infra asserts both.
        self.url = handler.add_function_url(
            auth_type=lambda_.FunctionUrlAuthType.NONE, invoke_mode=lambda_.InvokeMode.BUFFERED
        )

    def url_for(self, platform: str) -> str:
        """The platform's webhook address; the function URL ends with a slash."""
        assert platform in c.WEBHOOK_PLATFORMS
        return f"{self.url.url}webhooks/{platform}"
