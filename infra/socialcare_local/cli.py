"""The ``socialcare`` command.

socialcare local [--config FILE] [--host 127.0.0.1] [--port 8080] [--aws-port 4566] [--reply-port 8081]
    Run the local stack in the foreground until Ctrl-C; logs are JSON lines on stdout.
socialcare demo [--config FILE] [--log-file PATH] [--keep-running]
    Start the stack on free ports, run the demo scenario over HTTP, print what happened.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from socialcare_local.config import EXAMPLE_CONFIG_PATH, ConfigError, LocalConfig, load_config


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"socialcare: configuration: {exc}", file=sys.stderr)
        return 2
    if args.command == "local":
        return run_local(config, host=args.host, port=args.port, aws_port=args.aws_port, reply_port=args.reply_port)
    from socialcare_local.demo import run_demo

    return run_demo(config, log_file=args.log_file, keep_running=args.keep_running)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="socialcare", description="socialcare on one machine.")
    commands = parser.add_subparsers(dest="command", required=True)

    local = commands.add_parser(
        "local",
        help="run the local stack until Ctrl-C",
        description="Run the local stack: AWS services (moto), webhook endpoints, queue pollers.",
    )
    _config_option(local)
    local.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    local.add_argument("--port", type=int, default=None, help="webhook endpoints port (default 8080)")
    local.add_argument("--aws-port", type=int, default=None, help="in-process AWS services port (default 4566)")
    local.add_argument("--reply-port", type=int, default=None, help="platform sandbox reply APIs port (default 8081)")

    demo = commands.add_parser(
        "demo",
        help="run the demo scenario on a fresh local stack",
        description="Start the local stack on free ports, run the demo scenario over HTTP, print a summary.",
    )
    _config_option(demo)
    demo.add_argument(
        "--log-file",
        type=Path,
        default=None,
        help="where the stack's and the functions' JSON logs go (default local-data/demo.log)",
    )
    demo.add_argument(
        "--keep-running", action="store_true", help="keep the stack running after the demo (Ctrl-C to stop)"
    )
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"TOML file of platform secrets and brand accounts (default: built-in demo values; see {EXAMPLE_CONFIG_PATH})",
    )


def run_local(
    config: LocalConfig, *, host: str | None, port: int | None, aws_port: int | None, reply_port: int | None = None
) -> int:
    from socialcare_local import logs
    from socialcare_local.aws import PortInUse
    from socialcare_local.stack import LocalStack

    logs.configure(sys.stdout)
    stack = LocalStack(config, host=host, port=port, aws_port=aws_port, reply_port=reply_port)
    try:
        stack.start()
    except PortInUse as exc:
        print(f"socialcare: {exc}", file=sys.stderr)
        return 2
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        print_endpoints(stack, file=sys.stderr)
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


def print_endpoints(stack: object, *, file: object = None) -> None:
    """The banner: where the webhooks and the AWS services are, and how to look inside."""
    from rich.console import Console
    from rich.table import Table
    from socialcare import constants as c

    from socialcare_local.stack import LocalStack

    assert isinstance(stack, LocalStack)
    console = Console(file=file, highlight=False, emoji=False)  # type: ignore[arg-type]  # ":secret:" is an ARN, not an emoji
    resources = stack.resources
    endpoint = stack.aws_endpoint_url
    table = Table(title="socialcare local stack", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for platform in c.WEBHOOK_PLATFORMS:
        table.add_row(f"webhook {platform}", f"GET/POST {stack.webhook_url(platform)}")
    if stack.reply_api is not None:
        table.add_row("platform reply APIs", f"{stack.reply_api.base_url} (calls: GET /_sandbox/calls)")
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
        "Ctrl-C stops the stack (its data lives in memory and goes with it).",
        soft_wrap=True,
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
