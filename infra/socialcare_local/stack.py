"""``LocalStack``: the whole system on one machine, started the same way by the CLI, the demo and tests.

    with LocalStack() as stack:                    # ports 0: any free ports
        sandbox = stack.sandbox()
        sandbox.send(sandbox.telegram_message(...))   # real HTTP, signed like the platform
        stack.wait_until_idle()
        stack.client("dynamodb").query(TableName=stack.resources.table_name, ...)

Starting it: moto's server on ``host``:``aws_port``; the table, queues, bucket and platform secret
(from the config file); the platform sandbox's reply APIs on ``host``:``reply_port``
(``stack.reply_api``); the function environment (``AWS_ENDPOINT_URL`` and fake credentials, so the
functions' default boto3 clients reach moto; the resource names; the reply APIs' base URLs); the
webhook endpoints on ``host``:``port``; the queue pollers (inbound → ingest, outbound → outbound);
the agent API (the Chalice app behind a local API Gateway with its Cognito authorizer) on
``host``:``api_port``, with every brand account's profile, the SLA configuration (calendars,
policies, departments) and the routing rules seeded from the config file; the department
escalation machine, its answer links pointing at the agent API; the functions' metric lines (EMF)
captured into the local CloudWatch; and the scheduled functions, which moto never fires, run by one
``ScheduleRunner`` (``stack.schedules``): the surge check every ``[surges] check_every_seconds``, the
metrics function every ``metrics_every_s`` and the clock sweep every ``clock_sweep_every_s``.
``stop()`` undoes all of it, restoring ``os.environ``.

moto keeps its state in module globals, so one process runs one stack at a time.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from types import ModuleType, TracebackType
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from socialcare import constants as c
from socialcare.model.accounts import brand_accounts_setting

from socialcare_local.config import LocalConfig, load_config
from socialcare_local.emulator import agent_api, functions, logs
from socialcare_local.emulator.api_gateway import AgentApiGateway
from socialcare_local.emulator.aws import AwsServices, LocalResources, aws_client_environment
from socialcare_local.emulator.case_clock import CaseClockResources, NotificationPoller, provision_case_clock
from socialcare_local.emulator.department_escalation import (
    DepartmentEscalationResources,
    start_department_escalation,
    stop_executions,
)
from socialcare_local.emulator.emf import EmfCapture
from socialcare_local.emulator.follow_up import provision_follow_up
from socialcare_local.emulator.function_url import WebhookFunctionUrl
from socialcare_local.emulator.functions import Handler
from socialcare_local.emulator.logs import get_logger
from socialcare_local.emulator.pollers import PollerSettings, QueuePoller, wait_until
from socialcare_local.emulator.schedules import ScheduleRunner
from socialcare_local.emulator.streams import StreamPoller, StreamSettings, TableStream
from socialcare_local.sandbox.reply_api import ReplyApi

log = get_logger("stack")

STAGE = "local"
METRICS_SCHEDULE = "metrics"  # the metrics function's schedule (functions/metrics)
SURGE_SCHEDULE = "surge"  # the surge check's (functions/surge)
CLOCK_SWEEP_SCHEDULE = "clock_sweep"  # the clock sweep's (functions/clock_sweep)
_UNSET_FOR_FUNCTIONS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN")

_running_lock = threading.Lock()
_running: LocalStack | None = None


class StackAlreadyRunning(RuntimeError):
    pass


class LocalStack:
    def __init__(
        self,
        config: LocalConfig | None = None,
        *,
        host: str | None = None,
        port: int | None = 0,
        aws_port: int | None = 0,
        region: str | None = None,
        poller_settings: PollerSettings | None = None,
        webhook_handler: Handler | None = None,
        ingest_handler: Handler | None = None,
        extra_environment: Mapping[str, str] | None = None,
        outbound_handler: Handler | None = None,
        reply_port: int | None = 0,
        api_port: int | None = 0,
        metrics_every_s: float = c.METRICS_SCHEDULE_MINUTES * 60,
        clock_sweep_every_s: float = c.CLOCK_SWEEP_EVERY_MINUTES * 60,
    ) -> None:
        """``port``/``aws_port``/``reply_port``/``api_port``: 0 picks free ports; None takes the config
        file's ``[stack]`` values. ``metrics_every_s``/``clock_sweep_every_s``: how often the metrics
        function and the clock sweep run (their schedules in AWS: every minute).

        ``webhook_handler``/``ingest_handler``/``outbound_handler`` replace the real functions
        (tests of the stack itself).
        """
        self.config = config or load_config(None)
        settings = self.config.stack
        self.host = host or settings.host
        self.region = region or settings.region
        self._port = settings.port if port is None else port
        self._aws_port = settings.aws_port if aws_port is None else aws_port
        self._api_port = settings.api_port if api_port is None else api_port
        self.poller_settings = poller_settings or PollerSettings()
        self._webhook_override = webhook_handler
        self._ingest_override = ingest_handler
        self._outbound_override = outbound_handler
        self._reply_port = settings.reply_port if reply_port is None else reply_port
        self._extra_environment = dict(extra_environment or {})

        self.aws = AwsServices(self.host, self._aws_port, self.region)
        self.gateway: WebhookFunctionUrl | None = None
        self.api_gateway: AgentApiGateway | None = None
        self.inbound_poller: QueuePoller | None = None
        self.outbound_poller: QueuePoller | None = None
        self.reply_api: ReplyApi | None = None
        self.case_clock: CaseClockResources | None = None
        self.follow_up_arn: str | None = None
        self.department_escalation: DepartmentEscalationResources | None = None
        self.clock_poller: StreamPoller | None = None
        self.notification_poller: NotificationPoller | None = None
        self._resources: LocalResources | None = None
        self._saved_environ: dict[str, str | None] = {}
        self._modules: list[ModuleType] = []  # every function environment's module
        self._modules_lock = threading.Lock()
        self.metrics_capture = EmfCapture()
        self._output = logs.WholeLineOutput(stdout_observer=self.metrics_capture.offer)
        self._metrics_every_s = metrics_every_s
        self._clock_sweep_every_s = clock_sweep_every_s
        self.schedules: ScheduleRunner | None = None
        self._started = False

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> LocalStack:
        global _running
        with _running_lock:
            if _running is not None:
                raise StackAlreadyRunning("a local stack is already running in this process")
            _running = self
        started = time.monotonic()
        try:
            self._output.install()  # before the functions load: their loggers keep the stream they find
            self._saved_environ["MOTO_PORT"] = os.environ.get("MOTO_PORT")  # AwsServices.start sets it
            self.aws.start()
            self.metrics_capture.start(self.aws.client("cloudwatch"))
            self._resources = self.aws.provision(
                stage=STAGE, platform_secret=self.config.secret_document, api_secret=self.config.api.secret_document
            )
            self.case_clock = provision_case_clock(self.aws, stage=STAGE, table_name=self._resources.table_name)
            self.follow_up_arn = provision_follow_up(
                self.aws,
                stage=STAGE,
                table_name=self._resources.table_name,
                outbound_queue_url=self._resources.outbound_queue_url,
            )
            # Read from the stream's end before anything writes a case.
            stream = TableStream.of_table(
                self.aws.client("dynamodb"), self.aws.client("dynamodbstreams"), self._resources.table_name
            )
            self.reply_api = ReplyApi(self.config, host=self.host, port=self._reply_port).start()
            self._set_environment(self.function_environment())
            self._seed_brand_profiles()
            self._seed_config()
            webhook = self._webhook_override or self._environments(c.WEBHOOK_FUNCTION, size=1)
            ingest = self._ingest_override or self._environments(
                c.INGEST_FUNCTION, size=self.poller_settings.concurrency
            )
            outbound = self._outbound_override or self._environments(
                c.OUTBOUND_FUNCTION, size=self.poller_settings.concurrency
            )

            self.gateway = WebhookFunctionUrl(
                webhook,
                host=self.host,
                port=self._port,
                function_name=self.function_name(c.WEBHOOK_FUNCTION),
                region=self.region,
            )
            self.gateway.start()
            self.reply_api.set_webhook_base_url(self.gateway.base_url)
            self.inbound_poller = self._poller(
                c.INGEST_FUNCTION,
                ingest,
                self._resources.inbound_queue_url,
                self._resources.inbound_queue_arn,
                self.poller_settings,
            )
            self.inbound_poller.start()
            self.outbound_poller = self._poller(
                c.OUTBOUND_FUNCTION,
                outbound,
                self._resources.outbound_queue_url,
                self._resources.outbound_queue_arn,
                # The outbound function sets a failed reply's retry delay itself (backoff,
                # the platform's retry-after), as it does under Lambda.
                replace(self.poller_settings, batch_size=c.OUTBOUND_BATCH_SIZE, keep_failed_visibility=True),
            )
            self.outbound_poller.start()
            self._start_case_clock(stream)
            self._start_agent_api()
            self.department_escalation = start_department_escalation(
                self.aws,
                stage=STAGE,
                outbound_queue_url=self._resources.outbound_queue_url,
                event_bus_name=self.case_clock.event_bus_name,
                api_base_url=self.api_base_url,
                set_environment=self._set_environment,
            )
            self._start_schedules()
        except BaseException:
            self.stop()
            raise
        self._started = True
        log.info(
            "local stack started",
            extra={
                "webhook_base_url": self.webhook_base_url,
                "reply_api_base_url": self.reply_api.base_url,
                "api_base_url": self.api_base_url,
                "aws_endpoint_url": self.aws_endpoint_url,
                "config": self.config.source_label,
                "elapsed_ms": int((time.monotonic() - started) * 1000),
            },
        )
        return self

    def _poller(
        self,
        function: str,
        handler: Handler | functions.FunctionEnvironments,
        queue_url: str,
        queue_arn: str,
        settings: PollerSettings,
    ) -> QueuePoller:
        """The event source mapping invoking ``function`` with batches from the queue."""
        return QueuePoller(
            sqs=self.aws.client("sqs"),
            queue_url=queue_url,
            queue_arn=queue_arn,
            handler=handler,
            function_name=self.function_name(function),
            region=self.region,
            settings=settings,
        )

    def stop(self) -> None:
        global _running
        if self.schedules is not None:
            self.schedules.stop()
            self.schedules = None
        if self.clock_poller is not None:
            self.clock_poller.stop()
            self.clock_poller = None
        if self.notification_poller is not None:
            self.notification_poller.stop()
            self.notification_poller = None
        self._stop_clocks()
        if self.outbound_poller is not None:
            self.outbound_poller.stop()
            self.outbound_poller = None
        if self.reply_api is not None:
            self.reply_api.stop()  # before the webhook endpoints, so its last echoes still arrive
            self.reply_api = None
        if self.inbound_poller is not None:
            self.inbound_poller.stop()  # waits for a batch in progress, not for an idle long poll
            self.inbound_poller = None
        if self.gateway is not None:
            self.gateway.stop()
            self.gateway = None
        if self.api_gateway is not None:
            self.api_gateway.stop()
            self.api_gateway = None
        agent_api.reset_app()
        for module in self._modules:
            functions.reset_function(module)
            functions.unload(module)
        self._modules.clear()
        self.case_clock = None
        self.follow_up_arn = None
        self.metrics_capture.stop()
        self.aws.stop()
        self._restore_environment()
        self._output.restore()
        self._resources = None
        if self._started:
            log.info("local stack stopped")
        self._started = False
        with _running_lock:
            if _running is self:
                _running = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- where things are ---------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._started

    @property
    def resources(self) -> LocalResources:
        if self._resources is None:
            raise RuntimeError("the local stack is not running")
        return self._resources

    @property
    def webhook_base_url(self) -> str:
        if self.gateway is None:
            raise RuntimeError("the local stack is not running")
        return self.gateway.base_url

    def webhook_url(self, platform: str) -> str:
        return f"{self.webhook_base_url}/webhooks/{platform}"

    @property
    def api_base_url(self) -> str:
        """The agent API (send ``Authorization: <token>``; see ``agent_token``)."""
        if self.api_gateway is None:
            raise RuntimeError("the local stack is not running")
        return self.api_gateway.base_url

    def agent_token(
        self, agent: str, *, teams: tuple[str, ...] = (c.DEFAULT_TEAM,), role: str = "agent", name: str | None = None
    ) -> str:
        """A token the agent API accepts, as ``socialcare token`` prints it."""
        from socialcare_local.emulator.tokens import agent_claims, issue_token

        return issue_token(agent_claims(agent, teams=teams, role=role, name=name), self.config.api.token_secret)

    @property
    def aws_endpoint_url(self) -> str:
        return self.aws.endpoint_url

    def client(self, service: str) -> Any:
        """A boto3 client for the in-process AWS services (as an operator would make one)."""
        return self.aws.client(service)

    def sandbox(self, session: Any = None) -> Any:
        """A platform sandbox that sends signed deliveries to this stack's webhook endpoints."""
        from socialcare_local.sandbox import Sandbox

        observer = self.reply_api.observe if self.reply_api is not None else None
        return Sandbox(self.webhook_base_url, self.config, session=session, observer=observer)

    @staticmethod
    def function_name(function: str) -> str:
        return f"socialcare-{STAGE}-{function}"

    def function_environment(self) -> dict[str, str]:
        """The environment the functions run with: what the CDK app gives them, pointed at moto."""
        resources = self.resources
        a = self.config.accounts
        return {
            **aws_client_environment(self.aws_endpoint_url, self.region),
            c.ENV_TABLE_NAME: resources.table_name,
            c.ENV_INBOUND_QUEUE_URL: resources.inbound_queue_url,
            c.ENV_OUTBOUND_QUEUE_URL: resources.outbound_queue_url,
            c.ENV_RAW_BUCKET: resources.raw_bucket,
            c.ENV_RAW_STREAMS: json.dumps(dict(resources.raw_streams)),
            c.ENV_REPORTS_BUCKET: resources.reports_bucket,
            c.ENV_PLATFORM_SECRET_ARN: resources.platform_secret_arn,
            c.ENV_API_SECRET_ARN: resources.api_secret_arn,
            c.ENV_DEFAULT_TEAM: c.DEFAULT_TEAM,
            c.ENV_REOPEN_WINDOW_HOURS: str(c.DEFAULT_REOPEN_WINDOW_HOURS),
            c.ENV_CASE_CLOCK_ARN: self.case_clock.state_machine_arn if self.case_clock else "",
            **({c.ENV_FOLLOW_UP_ARN: self.follow_up_arn} if self.follow_up_arn else {}),
            **({c.ENV_RESPONSE_TARGETS: json.dumps(self.config.sla.to_config())} if self.config.sla else {}),
            **({c.ENV_SURGE_SETTINGS: json.dumps(self.config.surges.to_config())} if self.config.surges else {}),
            **({c.ENV_EVENT_BUS_NAME: self.case_clock.event_bus_name} if self.case_clock else {}),
            c.ENV_BRAND_ACCOUNTS: brand_accounts_setting(
                meta=(a.facebook_page_id, a.instagram_account_id, a.whatsapp_phone_number_id),
                x=(a.x_user_id,),
                telegram=(a.telegram_bot_id,),
            ),
            **(self.reply_api.environment() if self.reply_api is not None else {}),
            "POWERTOOLS_SERVICE_NAME": "socialcare",
            "POWERTOOLS_METRICS_NAMESPACE": "SocialCare",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "TZ": "UTC",
            **self._extra_environment,
        }

    # --- waiting --------------------------------------------------------------------------------
    def is_idle(self) -> bool:
        """No queue holds a message, no function runs, the sandbox has no echo still to send and every
        metric line written is in the local CloudWatch."""
        pollers = (self.inbound_poller, self.outbound_poller, self.clock_poller, self.schedules)
        if not all(poller is None or poller.is_idle() for poller in pollers):
            return False
        if not self.metrics_capture.is_idle():
            return False
        return self.reply_api is None or self.reply_api.is_idle()

    def publish_metrics(self) -> dict[str, int]:
        """Run the metrics function now (as its schedule would), then wait until every metric line the
        functions have written is in the local CloudWatch; the function's summary."""
        if self.schedules is None:
            raise RuntimeError("the local stack is not running")
        summary = self.schedules.run_now(METRICS_SCHEDULE)
        self.metrics_capture.flush()
        return dict(summary) if isinstance(summary, dict) else {}

    def wait_until_idle(self, timeout_s: float = 30.0, settle_s: float = 0.1) -> None:
        """Return once every queue is empty and no function is running; TimeoutError otherwise.

        Idle must hold twice, ``settle_s`` apart, so a message a function has just enqueued counts.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if not wait_until(self.is_idle, timeout_s=max(0.0, remaining)):
                raise TimeoutError(f"the local stack was still busy after {timeout_s} s")
            time.sleep(settle_s)
            if self.is_idle():
                return

    def notifications(self) -> list[dict[str, str]]:
        """The case clocks' notifications logged so far (``socialcare_local.notifications``), in order."""
        return self.notification_poller.notifications() if self.notification_poller is not None else []

    # --- internals ------------------------------------------------------------------------------
    def _start_case_clock(self, stream: TableStream) -> None:
        """The clock function on the table's stream, and the notifications the clocks announce."""
        assert self.case_clock is not None
        self.clock_poller = StreamPoller(
            stream=stream,
            handler=self._environments(c.CLOCK_FUNCTION, size=1),
            function_name=self.function_name(c.CLOCK_FUNCTION),
            filter_patterns=c.CLOCK_STREAM_FILTERS,
            settings=StreamSettings(batch_size=c.CLOCK_BATCH_SIZE, max_retries=c.CLOCK_MAX_RETRY_ATTEMPTS),
            on_failure=self._clock_failure,
        )
        self.clock_poller.start()
        self.notification_poller = NotificationPoller(self.aws.client("sqs"), self.case_clock.notifications_queue_url)
        self.notification_poller.start()

    def _clock_failure(self, document: dict[str, Any]) -> None:
        self.aws.client("sqs").send_message(
            QueueUrl=self.resources.clock_failures_url, MessageBody=json.dumps(document)
        )

    def _stop_clocks(self) -> None:
        """Stop the clocks, follow-ups and department escalations still waiting, so moto's engine threads
        end with the stack."""
        if self.department_escalation is not None:
            stop_executions(self.aws.client("stepfunctions"), self.department_escalation.state_machine_arn)
            self.department_escalation = None
        machines = [arn for arn in (self.case_clock and self.case_clock.state_machine_arn, self.follow_up_arn) if arn]
        if not machines:
            return
        sfn = self.aws.client("stepfunctions")
        for machine_arn in machines:
            try:
                running = sfn.list_executions(stateMachineArn=machine_arn, statusFilter="RUNNING")
                for execution in running.get("executions", []):
                    sfn.stop_execution(executionArn=execution["executionArn"])
            except (BotoCoreError, ClientError, AttributeError):  # best effort: the stack is going away
                log.warning("could not stop the running executions", exc_info=True, extra={"machine": machine_arn})

    def _start_schedules(self) -> None:
        """What EventBridge Scheduler invokes in AWS (moto never fires a schedule): the surge check every
        ``[surges] check_every_seconds`` (first after one period), the metrics publisher and the clock
        sweep at once and then every ``metrics_every_s`` / ``clock_sweep_every_s``."""
        self.schedules = ScheduleRunner()
        for schedule, function, every_s, timeout_s, at_start in (
            (SURGE_SCHEDULE, c.SURGE_FUNCTION, self.config.surge_check_every_s, c.SURGE_TIMEOUT_S, False),
            (METRICS_SCHEDULE, c.METRICS_FUNCTION, self._metrics_every_s, c.METRICS_TIMEOUT_S, True),
            (CLOCK_SWEEP_SCHEDULE, c.CLOCK_SWEEP_FUNCTION, self._clock_sweep_every_s, c.CLOCK_SWEEP_TIMEOUT_S, True),
        ):
            self.schedules.add_function(
                schedule,
                self._environments(function, size=1),
                function_name=self.function_name(function),
                every_s=every_s,
                timeout_s=timeout_s,
                region=self.region,
                at_start=at_start,
            )
        self.schedules.start()

    def _start_agent_api(self) -> None:
        module = agent_api.load_app_module()
        agent_api.reset_app()  # a previous stack in this process may have cached clients
        app = module.app
        self.api_gateway = AgentApiGateway(
            app,
            agent_api.route_table(app),
            token_secret=self.config.api.token_secret,
            host=self.host,
            port=self._api_port,
            function_name=self.function_name("api"),
            region=self.region,
        )
        self.api_gateway.start()

    def _seed_brand_profiles(self) -> None:
        """Every brand account starts with the config file's ``[brand]`` profile."""
        from socialcare.aws.agent_store import AgentStore
        from socialcare.ids import new_ulid
        from socialcare.model.audit import AuditAction, AuditRecord

        store = AgentStore(self.resources.table_name, client=self.aws.client("dynamodb"))
        now = time.time_ns() // 1_000_000
        for account_id in self.config.account_ids:
            profile = replace(self.config.brand_profile(account_id), updated_at_ms=now, updated_by="socialcare-local")
            audit = AuditRecord(
                record_id=new_ulid(now),
                at_ms=now,
                actor="socialcare-local",
                actor_role="system",
                action=AuditAction.PROFILE_UPDATED,
                account_id=account_id,
                details={"source": self.config.source_label},
            )
            store.save_profile(profile, audit)

    def _seed_config(self) -> None:
        """The config file's calendars, policy set, departments and routing rules, stored as their first
        version (audited as the stack's own change)."""
        from socialcare.aws.config_store import ConfigStore
        from socialcare.ids import new_ulid
        from socialcare.model.audit import AuditRecord
        from socialcare.model.config import StoredConfig

        store = ConfigStore(self.resources.table_name, client=self.aws.client("dynamodb"))
        now = time.time_ns() // 1_000_000
        for kind, name, document in self.config.stored_documents:
            audit = AuditRecord(
                record_id=new_ulid(now),
                at_ms=now,
                actor="socialcare-local",
                actor_role="system",
                action=kind.audit_action,
                subject=kind.subject(name),
                details={"version": "1", "source": self.config.source_label},
            )
            store.save_config(StoredConfig(kind, name, 1, document, now, "socialcare-local"), audit)

    def _environments(self, function: str, *, size: int) -> functions.FunctionEnvironments:
        """The function's execution environments, one started now (a function that does not load
        fails the start); each further one is a fresh copy of its module."""
        environments = functions.FunctionEnvironments(lambda: self._load(function), size=size)
        environments.prewarm()
        return environments

    def _load(self, function: str) -> functions.Handler:
        module = functions.load_function_copy(function)
        functions.reset_function(module)  # a fresh copy: nothing cached yet, but the same rule as ever
        with self._modules_lock:
            self._modules.append(module)
        handler = getattr(module, "handler", None)
        if not callable(handler):
            raise functions.FunctionNotFound(f"functions/{function}/handler.py has no handler(event, context)")

        def invoke(event: dict[str, Any], context: Any) -> Any:
            self._output.observe_stdout()  # the metric lines it prints reach the local CloudWatch
            return handler(event, context)

        return invoke

    def _set_environment(self, values: Mapping[str, str]) -> None:
        for key, value in values.items():
            if key not in self._saved_environ:
                self._saved_environ[key] = os.environ.get(key)
            os.environ[key] = value
        for key in _UNSET_FOR_FUNCTIONS:  # a developer's profile must not redirect the functions' clients
            if key not in self._saved_environ:
                self._saved_environ[key] = os.environ.get(key)
            os.environ.pop(key, None)
        if hasattr(time, "tzset"):
            time.tzset()

    def _restore_environment(self) -> None:
        for key, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_environ.clear()
        if hasattr(time, "tzset"):
            time.tzset()
