"""``socialcare report``: make a day's reports on a running local stack and print them.

Runs the report function (``functions/report/handler.py``, the file deployed to Lambda) in this
process against the stack's AWS services, as Lambda would with ``{"date": "YYYY-MM-DD"}``: it reads
the day's facts, the queues and the SLA in force from the stack's table and stores the reports in
its reports bucket (``reports/.../dt=YYYY-MM-DD/``). Then it reads the two JSON documents back and
prints them as tables. The local stack runs no schedule for the reports: this is the way to make them.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from socialcare import constants as c
from socialcare.errors import InvalidRequest
from socialcare.reports.window import report_zone

from socialcare_local.config import LocalConfig
from socialcare_local.emulator.aws import aws_client_environment, patched_environ, resource_names, stack_client
from socialcare_local.emulator.functions import LambdaContext, load_function_copy, unload
from socialcare_local.report_view import print_accountability, print_marketing

STAGE = "local"  # the stack's stage: table socialcare-local, bucket socialcare-reports-local


def report_environment(config: LocalConfig, endpoint_url: str, time_zone: str) -> dict[str, str]:
    """What the report function reads, pointed at the stack (the same names the stack gives it)."""
    names = resource_names(STAGE)
    return {
        **aws_client_environment(endpoint_url, config.stack.region),
        c.ENV_TABLE_NAME: names["table"],
        c.ENV_REPORTS_BUCKET: names["reports_bucket"],
        c.ENV_REPORT_TIME_ZONE: time_zone,
        c.ENV_DEFAULT_TEAM: c.DEFAULT_TEAM,
        **({c.ENV_RESPONSE_TARGETS: json.dumps(config.sla.to_config())} if config.sla else {}),
        **({c.ENV_ROUTING_RULES: json.dumps(config.routing.to_config())} if config.routing else {}),
        "POWERTOOLS_LOG_LEVEL": "WARNING",  # the terminal shows the tables, not the function's log lines
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def make_reports(config: LocalConfig, endpoint_url: str, time_zone: str, day: str | None) -> dict[str, Any]:
    """Invoke the report function for ``day`` (None: today in ``time_zone``); what it answered."""
    event = {"date": day or datetime.now(UTC).astimezone(report_zone(time_zone)).date().isoformat()}
    with patched_environ(report_environment(config, endpoint_url, time_zone), remove=("AWS_PROFILE",)):
        module = load_function_copy(c.REPORT_FUNCTION)
        try:
            result: dict[str, Any] = module.handler(event, LambdaContext(f"socialcare-{STAGE}-report"))
        finally:
            unload(module)
    return result


def _stored(endpoint_url: str, region: str, key: str) -> dict[str, Any]:
    s3 = stack_client("s3", endpoint_url, region)
    body = s3.get_object(Bucket=resource_names(STAGE)["reports_bucket"], Key=key)["Body"].read()
    document: dict[str, Any] = json.loads(body)
    return document


def run_report(config: LocalConfig, args: argparse.Namespace) -> int:
    host = args.host or config.stack.host
    endpoint = f"http://{host}:{args.aws_port or config.stack.aws_port}"
    try:
        made = make_reports(config, endpoint, args.time_zone, args.date)
        [day] = made["stored"]
        documents = {
            key.split("/")[1]: _stored(endpoint, config.stack.region, key)
            for key in day["keys"]
            if key.endswith(".json")
        }
    except InvalidRequest as exc:
        print(f"socialcare report: {exc.message}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(
            f"socialcare report: cannot reach the local stack's AWS services at {endpoint} ({type(exc).__name__}); "
            "start one with `make local`, or give its --aws-port / --config",
            file=sys.stderr,
        )
        return 2
    console = Console(file=sys.stdout, highlight=False, emoji=False)
    print_accountability(documents["accountability"], console)
    if not args.accountability_only:
        console.print()
        print_marketing(documents["marketing"], console)
    console.print(f"Stored in s3://{resource_names(STAGE)['reports_bucket']}/: " + ", ".join(day["keys"]), style="dim")
    return 0
