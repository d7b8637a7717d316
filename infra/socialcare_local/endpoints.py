"""The banner ``socialcare local`` and ``socialcare demo --keep-running`` print: where the running
stack's endpoints and resources are, and how to look inside with the AWS CLI and a token."""

from __future__ import annotations

import sys
from pathlib import Path
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
    table.add_row("raw archive (Firehose)", ", ".join(resources.raw_streams.values()))
    table.add_row("platform secret", resources.platform_secret_arn)
    table.add_row("config", stack.config.source_label)
    console.print(table)
    console.print(
        "Inspect it like the real account (any credentials, region "
        f"{resources.region}):\n"
        f"  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={resources.region}\n"
        f"  aws --endpoint-url {endpoint} dynamodb query --table-name {resources.table_name} "
        f"--index-name {c.QUEUE_INDEX} --key-condition-expression '{c.QUEUE_INDEX_PK} = :q' "
        f"""--expression-attribute-values '{{":q":{{"S":"QUEUE#{c.DEFAULT_TEAM}#00"}}}}'  # one of its 16 shards\n"""
        f"  aws --endpoint-url {endpoint} sqs get-queue-attributes --queue-url {resources.inbound_dlq_url} "
        "--attribute-names ApproximateNumberOfMessages\n"
        "Work cases through the agent API with a token (the config file's \\[api] token_secret signs it):\n"
        f"  TOKEN=$({_command()} token --agent alice --team {c.DEFAULT_TEAM} --name 'Alice Smith'"
        f"{' --config ' + str(stack.config.source) if stack.config.source else ''})\n"
        f'  curl -H "Authorization: $TOKEN" {stack.api_base_url}/queues/{c.DEFAULT_TEAM}/cases\n'
        "Play a customer the platform sandbox knows (replies to them are accepted):\n"
        f'  {_command()} customer --channel whatsapp --name "Sheena Nelson" --text "Where is my parcel?"'
        f"{_port_flags(stack)}\n"
        "Ctrl-C stops the stack (its data lives in memory and goes with it).",
        soft_wrap=True,
    )


def _command() -> str:
    """How to run ``socialcare`` again from here: the script that is running, else the venv's."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "socialcare":
        try:
            return str(script.resolve().relative_to(Path.cwd()))
        except ValueError:
            return str(script)
    return ".venv/bin/socialcare"


def _port_flags(stack: LocalStack) -> str:
    """The ``socialcare customer`` flags that find this stack, where it is not on the config's ports."""
    settings = stack.config.stack
    flags = []
    if stack.config.source:
        flags.append(f"--config {stack.config.source}")
    for flag, url, default in (
        ("--port", stack.webhook_base_url, settings.port),
        ("--reply-port", stack.reply_api.base_url if stack.reply_api else "", settings.reply_port),
        ("--aws-port", stack.aws_endpoint_url, settings.aws_port),
    ):
        port = int(url.rsplit(":", 1)[1]) if url else default
        if port != default:
            flags.append(f"{flag} {port}")
    return "".join(f" {flag}" for flag in flags)
