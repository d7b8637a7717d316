"""The banner ``socialcare local`` and ``socialcare demo --keep-running`` print: where the running
stack's endpoints and resources are, and how to look inside with the AWS CLI and a token."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from socialcare import constants as c

if TYPE_CHECKING:
    from socialcare_local.stack import LocalStack


def print_endpoints(stack: LocalStack, *, file: IO[str] | None = None) -> None:
    """The banner: where the webhooks and the AWS services are, and how to look inside."""
    console = Console(file=file, highlight=False, emoji=False)  # ":secret:" is an ARN, not an emoji
    resources = stack.resources
    endpoint = stack.aws_endpoint_url
    table = Table(title="socialcare local stack", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for platform in c.WEBHOOK_PLATFORMS:
        table.add_row(f"webhook {platform}", f"GET/POST {stack.webhook_url(platform)}")
    if stack.reply_api is not None:
        table.add_row("platform reply APIs", f"{stack.reply_api.base_url} (calls: GET /_sandbox/calls)")
    table.add_row("agent API", stack.api_base_url)
    table.add_row("AWS endpoint", endpoint)
    table.add_row("table", resources.table_name)
    table.add_row("inbound queue", resources.inbound_queue_url)
    table.add_row("dead-letter queue", resources.inbound_dlq_url)
    table.add_row("outbound queue", resources.outbound_queue_url)
    table.add_row("outbound dead-letter queue", resources.outbound_dlq_url)
    table.add_row("raw bucket", resources.raw_bucket)
    table.add_row("platform secret", resources.platform_secret_arn)
    table.add_row("config", stack.config.source_label)
    console.print(table)
    console.print(
        "Inspect it like the real account (any credentials, region "
        f"{resources.region}):\n"
        f"  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={resources.region}\n"
        f"  aws --endpoint-url {endpoint} dynamodb query --table-name {resources.table_name} "
        f"--index-name {c.QUEUE_INDEX} --key-condition-expression '{c.QUEUE_INDEX_PK} = :q' "
        f"""--expression-attribute-values '{{":q":{{"S":"QUEUE#{c.DEFAULT_TEAM}"}}}}'\n"""
        f"  aws --endpoint-url {endpoint} sqs get-queue-attributes --queue-url {resources.inbound_dlq_url} "
        "--attribute-names ApproximateNumberOfMessages\n"
        "Work cases through the agent API with a token (the config file's \\[api] token_secret signs it):\n"
        f"  TOKEN=$(socialcare token --agent alice --team {c.DEFAULT_TEAM} --name 'Alice Smith'"
        f"{' --config ' + str(stack.config.source) if stack.config.source else ''})\n"
        f'  curl -H "Authorization: $TOKEN" {stack.api_base_url}/queues/{c.DEFAULT_TEAM}/cases\n'
        "Ctrl-C stops the stack (its data lives in memory and goes with it).",
        soft_wrap=True,
    )
