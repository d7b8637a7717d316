"""The system the cost benchmark runs: every function as deployed, in process on moto, fed as AWS
feeds it, every AWS request recorded (``aws_calls``) and every invocation timed.

- the webhook function gets one function URL event per delivery (signed like Meta's);
- the event source mappings are played here: ``ReceiveMessage`` (at most 10 a call) until the
  function's batch size (from the CDK app's ``TRIGGERS``) or the queue runs dry, the function,
  then ``DeleteMessageBatch`` (the local stack's ``QueuePoller.process``);
- the table's stream reaches the clock function through the local stack's ``StreamPoller``, with the
  mapping's filters and batch size, after each invocation that wrote (a stream hands a shard's new
  records over as they come);
- the agent API is the Chalice app (``chalice_config/app.py``) behind Chalice's test client, with an
  agent's token as API Gateway's Cognito authorizer passes it on;
- the platforms are the local sandbox's reply API (real HTTP on localhost): its calls are not AWS's.

The brand account, its platform secret and the sandbox come from the local stack's default
configuration (``socialcare_local.config``), so that replies and acknowledgements are accepted.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.bench.aws_calls import AwsCalls
from tests.bench.setup import ROOT, create_resources, load_function

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "cost"
AGENT = "alice"  # an agent of the default team, where the bench account's cases go


@dataclass(frozen=True)
class Deployed:
    """What the CDK app deploys, read from it: memory sizes (MB, ``api`` for the agent API), the
    event source mappings' batch sizes and filters, the functions' architecture."""

    memory_mb: Mapping[str, int]
    batch_size: Mapping[str, int]
    stream_filters: tuple[Mapping[str, Any], ...]
    architecture: str

    @classmethod
    def read(cls) -> Deployed:
        # The CDK's Node runtime starts with the import and warns of the Node version (AWS-OFFLINE.md).
        for warning in ("DEPRECATED", "UNTESTED"):
            os.environ.setdefault(f"JSII_SILENCE_WARNING_{warning}_NODE_VERSION", "1")
        os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", ",".join(map(str, range(14, 30, 2))))
        from socialcare import constants as c
        from socialcare_infra.components.agent_api import API_MEMORY_MB
        from socialcare_infra.components.functions import TRIGGERS, QueueTrigger, StreamTrigger
        from socialcare_infra.runtime import ARCHITECTURE_NAME

        batches = {
            name: spec.trigger.batch_size
            for name, spec in TRIGGERS.items()
            if isinstance(spec.trigger, QueueTrigger | StreamTrigger)
        }
        clock = TRIGGERS[c.CLOCK_FUNCTION].trigger
        assert isinstance(clock, StreamTrigger)
        return cls(
            memory_mb={**{name: spec.memory_mb for name, spec in TRIGGERS.items()}, "api": API_MEMORY_MB},
            batch_size=batches,
            stream_filters=tuple(clock.filter_patterns),
            architecture=ARCHITECTURE_NAME,
        )


@dataclass
class Timings:
    """Milliseconds of each invocation, by (scenario, function)."""

    ms: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))

    def of(self, scenario: str) -> dict[str, list[float]]:
        return {function: times for (phase, function), times in self.ms.items() if phase == scenario}


@dataclass
class CostWorld:
    calls: AwsCalls
    deployed: Deployed
    env: dict[str, str]
    page: str
    app_secret: str
    reply_api: Any
    timings: Timings = field(default_factory=Timings)
    functions: dict[str, Any] = field(default_factory=dict)
    pollers: dict[str, Any] = field(default_factory=dict)
    api: Any = None
    _queued: Counter[str] = field(default_factory=Counter)
    _counted: int = 0

    @property
    def table(self) -> str:
        from socialcare import constants as c

        return self.env[c.ENV_TABLE_NAME]

    def timed(self, function: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        def invoke(*args: Any, **kwargs: Any) -> Any:
            scenario = (self.calls.phase or "").split("/", 1)[0]
            with self.calls.invoked(function):
                started = time.perf_counter()
                try:
                    return handler(*args, **kwargs)
                finally:
                    self.timings.ms[(scenario, function)].append((time.perf_counter() - started) * 1000)

        return invoke

    # --- what arrives ---------------------------------------------------------------------------
    def deliver(self, payload: Mapping[str, Any]) -> None:
        """One Meta delivery, signed, through the webhook function."""
        from socialcare_local.sandbox.signing import meta_request

        from tests.bench.setup import LambdaContext
        from tests.bench.webhook import _function_url_event

        body, headers = meta_request(self.app_secret, payload)
        self.reply_api.observe("meta", body)  # the platform knows the customer wrote: the window is open
        response = self.timed("webhook", self.functions["webhook"].handler)(
            _function_url_event(body, headers), LambdaContext()
        )
        if response["statusCode"] != 200:
            raise RuntimeError(f"the webhook refused a bench delivery: {response}")

    def reply(self, case_id: str, text: str) -> None:
        """An agent's reply through the agent API (``POST /cases/{id}/replies``)."""
        from socialcare import constants as c

        from tests.agent_api_support import chalice_token

        token = chalice_token(AGENT, teams=(c.DEFAULT_TEAM,))
        headers = {"Content-Type": "application/json", "Authorization": token}
        body = json.dumps({"text": text}).encode()
        send = self.timed("api", self.api.http.post)
        response = send(f"/cases/{case_id}/replies", headers=headers, body=body)
        if response.status_code != 202:
            raise RuntimeError(f"the agent API refused a bench reply: {response.status_code} {response.body!r}")

    # --- what the event source mappings do --------------------------------------------------------
    def drain(self, function: str) -> int:
        """The function's queue mapping until the queue is empty; the invocations made."""
        poller = self.pollers[function]
        size = self.deployed.batch_size[function]
        invocations = 0
        while self._waiting(poller.queue_url):
            batch: list[dict[str, Any]] = []
            with self.calls.during(f"{self._scenario}/esm"):
                while len(batch) < size and self._waiting(poller.queue_url) > len(batch):
                    received = poller.sqs.receive_message(
                        QueueUrl=poller.queue_url,
                        MaxNumberOfMessages=min(10, size - len(batch)),
                        MessageSystemAttributeNames=["All"],
                        MessageAttributeNames=["All"],
                    ).get("Messages", [])
                    if not received:
                        raise RuntimeError(
                            f"{function}: messages are waiting and none can be received (a failed record?)"
                        )
                    batch += received
                poller.process(batch)
            invocations += 1
            self.settle()
        return invocations

    def settle(self) -> None:
        """The stream's new records to the clock function, then any task queued for the outbound
        function, until nothing more happens."""
        from socialcare import constants as c

        while True:
            stream = self.pollers[c.CLOCK_FUNCTION]
            before = stream.invocations
            with self.calls.during(self._scenario):
                stream.poll_once()
            outbound = self.pollers[c.OUTBOUND_FUNCTION]
            if self._waiting(outbound.queue_url):
                self.drain(c.OUTBOUND_FUNCTION)
            elif stream.invocations == before:
                return

    @property
    def _scenario(self) -> str:
        return (self.calls.phase or "").split("/", 1)[0]

    def _waiting(self, queue_url: str) -> int:
        """Messages sent to the queue and not yet deleted, counted from the recorded requests (the
        bench is the queue's only consumer)."""
        for call in self.calls.calls[self._counted :]:
            if call.service == "sqs" and not call.failed:
                self._queued[call.params.get("QueueUrl", "")] += _queue_change(call)
        self._counted = len(self.calls.calls)
        return self._queued[queue_url]


def _queue_change(call: Any) -> int:
    response = call.response or {}
    if call.operation == "SendMessage":
        return 1
    if call.operation == "SendMessageBatch":
        return len(response.get("Successful", ()))
    if call.operation == "DeleteMessage":
        return -1
    if call.operation == "DeleteMessageBatch":
        return -len(response.get("Successful", ()))
    return 0


@contextmanager
def cost_world(calls: AwsCalls, deployed: Deployed) -> Iterator[CostWorld]:
    """The resources, functions and pollers, inside an active ``mock_aws``; the sandbox stopped after."""
    from socialcare_local.config import load_config
    from socialcare_local.sandbox.reply_api import ReplyApi

    config = load_config(None)
    reply_api = ReplyApi(config).start()
    try:
        with calls.during(None):
            env = _resources(config, reply_api.environment())
        os.environ.update(env)
        page = config.accounts.facebook_page_id
        assert page is not None
        world = CostWorld(calls, deployed, env, page, config.credentials.meta.app_secrets[0], reply_api)  # type: ignore[union-attr]
        with calls.during(None):
            _functions(world)
        yield world
    finally:
        reply_api.stop()


def _resources(config: Any, platform_urls: Mapping[str, str]) -> dict[str, str]:
    """The bench's table, bucket and queues, and what else the deployed functions and API are given:
    the outbound queue, the event bus, the case clock and follow-up machines, both secrets."""
    import boto3
    from socialcare import constants as c
    from socialcare.aws import schema
    from socialcare.model.accounts import brand_accounts_setting
    from socialcare_local.emulator import case_clock, follow_up

    env = create_resources(STAGE)
    sqs, sm, sfn = (boto3.client(n) for n in ("sqs", "secretsmanager", "stepfunctions"))
    dlq = sqs.create_queue(QueueName=f"bench-outbound-dlq-{STAGE}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    outbound = sqs.create_queue(
        QueueName=f"bench-outbound-{STAGE}", Attributes=schema.outbound_queue_attributes(dlq_arn)
    )["QueueUrl"]
    bus = f"bench-events-{STAGE}"
    boto3.client("events").create_event_bus(Name=bus)
    boto3.client("s3").create_bucket(Bucket=f"bench-reports-{STAGE}")
    role = f"arn:aws:iam::{ACCOUNT}:role/bench"
    table = env[c.ENV_TABLE_NAME]
    clock_arn = sfn.create_state_machine(
        name=f"bench-case-clock-{STAGE}", definition=case_clock.definition(table, bus), roleArn=role
    )["stateMachineArn"]
    follow_up_arn = sfn.create_state_machine(
        name=f"bench-follow-up-{STAGE}", definition=follow_up.definition(table, outbound), roleArn=role
    )["stateMachineArn"]
    platforms = sm.create_secret(Name=f"bench-platforms-{STAGE}", SecretString=json.dumps(dict(config.secret_document)))
    api_secret = sm.create_secret(
        Name=f"bench-api-{STAGE}", SecretString=json.dumps({"cursor_key": "bench-cursor-key-0123456789abcdef"})
    )
    return {
        **env,
        **platform_urls,
        c.ENV_PLATFORM_SECRET_ARN: platforms["ARN"],
        c.ENV_API_SECRET_ARN: api_secret["ARN"],
        c.ENV_BRAND_ACCOUNTS: brand_accounts_setting(meta=(config.accounts.facebook_page_id,)),
        c.ENV_OUTBOUND_QUEUE_URL: outbound,
        c.ENV_EVENT_BUS_NAME: bus,
        c.ENV_CASE_CLOCK_ARN: clock_arn,
        c.ENV_FOLLOW_UP_ARN: follow_up_arn,
        c.ENV_REPORTS_BUCKET: f"bench-reports-{STAGE}",
    }


def _functions(world: CostWorld) -> None:
    import boto3
    from chalice.test import Client
    from socialcare import constants as c
    from socialcare_local.emulator.pollers import PollerSettings, QueuePoller
    from socialcare_local.emulator.streams import StreamPoller, StreamSettings, TableStream

    from tests.agent_api_support import app_module
    from tests.bench.moto_streams import MotoStreams

    for name in (c.WEBHOOK_FUNCTION, c.INGEST_FUNCTION, c.OUTBOUND_FUNCTION, c.CLOCK_FUNCTION):
        world.functions[name] = load_function(name)
        world.functions[name].wire()
    sqs = boto3.client("sqs")
    for name, queue in ((c.INGEST_FUNCTION, c.ENV_INBOUND_QUEUE_URL), (c.OUTBOUND_FUNCTION, c.ENV_OUTBOUND_QUEUE_URL)):
        url = world.env[queue]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        world.pollers[name] = QueuePoller(
            sqs=sqs,
            queue_url=url,
            queue_arn=arn,
            handler=world.timed(name, world.functions[name].handler),
            function_name=name,
            settings=PollerSettings(batch_size=world.deployed.batch_size[name], concurrency=1),
        )
    stream_arn = boto3.client("dynamodb").describe_table(TableName=world.table)["Table"]["LatestStreamArn"]
    world.pollers[c.CLOCK_FUNCTION] = StreamPoller(
        stream=TableStream(MotoStreams(REGION), stream_arn, region=REGION),
        handler=world.timed(c.CLOCK_FUNCTION, world.functions[c.CLOCK_FUNCTION].handler),
        function_name=c.CLOCK_FUNCTION,
        filter_patterns=world.deployed.stream_filters,
        settings=StreamSettings(batch_size=world.deployed.batch_size[c.CLOCK_FUNCTION]),
    )
    app = app_module()
    from chalicelib import wiring

    wiring.wire()
    # Chalice's local mode lets every request through its Cognito authorizer, and says so each time.
    warnings.filterwarnings("ignore", message="CognitoUserPoolAuthorizer is not a supported", category=UserWarning)
    world.api = Client(app.app, stage_name="prod", project_dir=str(ROOT / "chalice_config"))
