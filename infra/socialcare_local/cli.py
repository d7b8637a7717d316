"""The ``socialcare`` command.

socialcare local [--config FILE] [--host 127.0.0.1] [--port 8080] [--aws-port 4566] [--api-port 8081] [--reply-port 8082]
    Run the local stack in the foreground until Ctrl-C; logs are JSON lines on stdout.
socialcare demo [--config FILE] [--log-file PATH] [--keep-running]
    Start the stack on free ports, run the demo scenario over HTTP, print what happened.
socialcare customer --channel whatsapp --name "Sheena Nelson" --text "Where is my parcel?"
                    [--id ID] [--config FILE] [--host H] [--port 8080] [--reply-port 8082] [--aws-port 4566]
                    [--no-wait] [--quiet]
    Play a customer against a running stack: send their message, signed as the platform signs it
    and stamped now, register them with the platform sandbox (so replies to them are accepted),
    wait for their case and print it.
socialcare report [--date YYYY-MM-DD] [--time-zone Europe/Berlin] [--accountability-only]
                  [--config FILE] [--host H] [--aws-port 4566]
    Make a day's accountability report and marketing summary on a running stack (the report function,
    as Lambda runs it; stored in the stack's reports bucket) and print them as tables.
socialcare token --agent alice --team care [--team billing] [--role agent|lead|admin]
                 [--name "Alice Smith"] [--ttl 8h] [--config FILE]
    Print a token for the local agent API (the claims of a Cognito ID token, signed with the
    config file's [api] token_secret).
socialcare dashboard [--config FILE] [--host H] [--aws-port 4566] [--out DIR] [--minutes 60]
    Draw the care-floor dashboard (the widgets the CDK app deploys) from a running stack's CloudWatch:
    a PNG and an HTML page of the latest values, in a folder it prints (default local-data/dashboard).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
        return run_local(
            config,
            host=args.host,
            port=args.port,
            aws_port=args.aws_port,
            api_port=args.api_port,
            reply_port=args.reply_port,
        )
    if args.command == "token":
        return print_token(config, args)
    if args.command == "dashboard":
        return draw_local_dashboard(config, args)
    if args.command == "customer":
        from socialcare_local.played_customer import play_customer

        return play_customer(config, args)
    if args.command == "report":
        from socialcare_local.report_command import run_report

        return run_report(config, args)
    from socialcare_local.demo.run import run_demo

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
    local.add_argument("--reply-port", type=int, default=None, help="platform sandbox reply APIs port (default 8082)")
    local.add_argument("--api-port", type=int, default=None, help="agent API port (default 8081; 0 = any free port)")

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

    _customer_parser(commands)
    _dashboard_parser(commands)
    _report_parser(commands)

    token = commands.add_parser(
        "token",
        help="print a token for the local agent API",
        description="Print a token for the local agent API: the claims of a Cognito ID token "
        "(cognito:username, cognito:groups, custom:teams, name), signed with the config file's [api] token_secret. "
        "Send it as the Authorization header.",
    )
    _config_option(token)
    token.add_argument("--agent", required=True, help="the agent's username (cognito:username), e.g. alice")
    token.add_argument(
        "--team", action="append", required=True, help="a team the agent works in (repeat, or comma-separate)"
    )
    token.add_argument("--role", choices=("agent", "lead", "admin"), default="agent", help="default: agent")
    token.add_argument("--name", default=None, help='display name used to sign replies, e.g. "Alice Smith"')
    token.add_argument("--ttl", default="8h", help="lifetime: 90s, 15m, 8h, 2d (default 8h, at most 7d)")
    return parser


def _customer_parser(commands: Any) -> None:
    from socialcare_local.sandbox.customers import CHANNELS

    customer = commands.add_parser(
        "customer",
        help="play a customer writing to the brand on a running local stack",
        description="Send a customer's message to a running local stack as the platform would (signed, "
        "stamped now), register the customer with the platform sandbox so replies to them are accepted, "
        "and wait until their case holds the message. Prints the channel, the customer's id, the message "
        "id and the case id.",
    )
    _config_option(customer)
    customer.add_argument("--channel", required=True, choices=CHANNELS, help="where the customer writes")
    customer.add_argument("--name", required=True, help='the customer\'s name, e.g. "Sheena Nelson"')
    customer.add_argument("--text", required=True, help="what they write")
    customer.add_argument(
        "--id", dest="customer_id", default=None, help="their id on the platform (default: derived from the name)"
    )
    customer.add_argument("--host", default=None, help="where the stack runs (default: [stack] host, 127.0.0.1)")
    customer.add_argument("--port", type=int, default=None, help="its webhook endpoints (default: [stack] port, 8080)")
    customer.add_argument(
        "--reply-port", type=int, default=None, help="its platform sandbox (default: [stack] reply_port, 8082)"
    )
    customer.add_argument(
        "--aws-port", type=int, default=None, help="its AWS services (default: [stack] aws_port, 4566)"
    )
    customer.add_argument("--no-wait", action="store_true", help="do not wait for the message to be stored")
    customer.add_argument("--quiet", action="store_true", help="print only the case id (for scripts)")


DEFAULT_DASHBOARD_FOLDER = Path("local-data") / "dashboard"


def _dashboard_parser(commands: Any) -> None:
    dashboard = commands.add_parser(
        "dashboard",
        help="draw the care-floor dashboard from a running local stack",
        description="Read the care-floor dashboard's widgets (the ones the CDK app deploys) from a running local "
        "stack's CloudWatch and write them as a PNG image and an HTML page with a table of the latest values.",
    )
    _config_option(dashboard)
    dashboard.add_argument("--host", default=None, help="where the stack runs (default: [stack] host, 127.0.0.1)")
    dashboard.add_argument(
        "--aws-port", type=int, default=None, help="its AWS services (default: [stack] aws_port, 4566)"
    )
    dashboard.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_DASHBOARD_FOLDER,
        help=f"the folder to write (default {DEFAULT_DASHBOARD_FOLDER})",
    )
    dashboard.add_argument("--minutes", type=int, default=60, help="how far back the graphs go (default 60)")


def draw_local_dashboard(config: LocalConfig, args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from socialcare_local.dashboard import draw_dashboard
    from socialcare_local.emulator.aws import local_client

    if args.minutes < 1:
        print("socialcare dashboard: --minutes must be 1 or more", file=sys.stderr)
        return 2
    endpoint = f"http://{args.host or config.stack.host}:{args.aws_port or config.stack.aws_port}"
    try:
        drawn = draw_dashboard(
            local_client("cloudwatch", endpoint, config.stack.region), args.out, minutes=args.minutes
        )
    except (BotoCoreError, ClientError) as exc:
        print(
            f"socialcare dashboard: cannot read the stack's CloudWatch at {endpoint} ({type(exc).__name__}); "
            "start it with socialcare local, or give its --aws-port",
            file=sys.stderr,
        )
        return 2
    print(f"dashboard written to {drawn.folder}/\n  image: {drawn.png}\n  page:  {drawn.html}")
    return 0


def _report_parser(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="make and print a day's accountability report and marketing summary on a running local stack",
        description="Run the report function for a day against a running local stack (it stores the reports in "
        "the stack's reports bucket, as the daily schedule does in AWS) and print them as tables.",
    )
    _config_option(report)
    report.add_argument("--date", default=None, help="the day, YYYY-MM-DD (default: today in --time-zone)")
    report.add_argument(
        "--time-zone", default="UTC", help="whose midnights bound the day, an IANA name (default UTC, as deployed)"
    )
    report.add_argument("--accountability-only", action="store_true", help="leave out the marketing summary")
    report.add_argument("--host", default=None, help="where the stack runs (default: [stack] host, 127.0.0.1)")
    report.add_argument("--aws-port", type=int, default=None, help="its AWS services (default: [stack] aws_port, 4566)")


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"TOML file of platform secrets and brand accounts (default: built-in demo values; see {EXAMPLE_CONFIG_PATH})",
    )


def print_token(config: LocalConfig, args: argparse.Namespace) -> int:
    from socialcare_local.emulator.tokens import agent_claims, issue_token, parse_duration

    try:
        ttl = parse_duration(args.ttl)
        claims = agent_claims(args.agent, teams=args.team, role=args.role, name=args.name, ttl_s=ttl)
    except ValueError as exc:
        print(f"socialcare token: {exc}", file=sys.stderr)
        return 2
    print(issue_token(claims, config.api.token_secret))
    return 0


def run_local(
    config: LocalConfig,
    *,
    host: str | None,
    port: int | None,
    aws_port: int | None,
    api_port: int | None = None,
    reply_port: int | None = None,
) -> int:
    from socialcare_local.emulator import logs
    from socialcare_local.emulator.aws import PortInUse
    from socialcare_local.endpoints import print_endpoints
    from socialcare_local.stack import LocalStack

    logs.configure(sys.stdout)
    stack = LocalStack(config, host=host, port=port, aws_port=aws_port, api_port=api_port, reply_port=reply_port)
    try:
        stack.start()
    except (PortInUse, OSError) as exc:
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
