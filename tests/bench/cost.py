"""What a message costs at AWS list prices, from the requests the system made (``cost_world``).

Two scenarios, each priced per million:

- **inbound messages**, one message per delivery, the ingest bench's mix (``ingest.CUSTOMERS``
  customers writing ``ingest.MESSAGES`` messages in all, in turn): every delivery through the
  webhook function, the inbound queue and ingest, with what that sets off — the stream to the clock
  function (its Step Functions executions), acknowledgement tasks to the outbound function;
- **agent replies**: one reply to each of the first ``REPLIES`` of those cases through the agent API
  (``POST /cases/{id}/replies``), the outbound queue, the outbound function sending it to the
  platform (the sandbox: the platform's side is not AWS's), and what the stream sets off.

Priced: API Gateway requests (the agent API's REST API; the webhook has none: platforms call the
webhook function through its function URL, which costs nothing beyond the function's), Lambda requests
and GB-seconds (each invocation's time measured here, rounded up to the millisecond as Lambda bills,
at the memory size and on the architecture the CDK app deploys), SQS requests (each 64 KB of a
request's payload one request; the event source mapping's receives and deletes included), DynamoDB
read and write request units from the items themselves (``index_writes``: table and indexes), S3
requests, Firehose ingestion (each record rounded up to 5 KB), EventBridge events, Step Functions
state transitions (each ``StartExecution`` made, times the transitions its machine makes in the
case-clock bench's typical lifecycle). Not priced: CloudWatch Logs and metrics, X-Ray, data
transfer, storage, Secrets Manager (read once per execution environment), idle polling.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tests.bench import ingest
from tests.bench.aws_calls import Call, recording
from tests.bench.case_clock import PRICE_PER_1000_TRANSITIONS, ClockFigures
from tests.bench.cost_world import CostWorld, Deployed, cost_world
from tests.bench.index_writes import CallUnits, TableShape, account

# us-east-1 list prices (AWS-OFFLINE.md's price list; re-check before publishing)
REST_API_PER_MILLION = 3.50
LAMBDA_REQUESTS_PER_MILLION = 0.20
LAMBDA_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
SQS_PER_MILLION = 0.40
SQS_CHUNK_BYTES = 64 * 1024
DYNAMODB_WRU_PER_MILLION = 0.625
DYNAMODB_RRU_PER_MILLION = 0.125
S3_PUT_PER_1000 = 0.005  # PUT, COPY, POST, LIST
S3_GET_PER_1000 = 0.0004  # GET and every other request
FIREHOSE_PER_GB = 0.029
FIREHOSE_RECORD_BYTES = 5 * 1024  # each record is billed rounded up to 5 KB
EVENTBRIDGE_PER_MILLION = 1.00  # custom events, each 64 KB a event
INBOUND_TARGET = 8.0
REPLY_TARGET = 18.0
# Read once per execution environment and kept: not a per-message request.
NOT_PER_MESSAGE = {("secretsmanager", "GetSecretValue")}
MIX = f"{ingest.CUSTOMERS:,} customers, {ingest.MESSAGES // ingest.CUSTOMERS} messages each, one a delivery"
REPLIES = 50  # one to each of the first customers' cases (each the same path: more would only take longer)
REPLY_TEXT = "Sorry for the wait! I have checked: your order ships today."
LATER = "later reply"


@dataclass(frozen=True)
class Line:
    service: str
    detail: str  # per unit (message or reply)
    dollars: float  # for the whole scenario


@dataclass(frozen=True)
class Scenario:
    name: str
    units: int
    lines: tuple[Line, ...]
    target: float
    unpriced: Mapping[str, int]

    def per_million(self, dollars: float) -> float:
        return dollars / self.units * 1_000_000

    @property
    def total(self) -> float:
        return self.per_million(sum(line.dollars for line in self.lines))


@dataclass(frozen=True)
class ShapeRequests:
    shape: str
    messages: int
    per_message: float
    by_operation: Mapping[str, float]  # the message's own requests, and "per invocation: <op>" shares


@dataclass(frozen=True)
class ItemWrites:
    """The write units of one kind of item a function wrote, per unit of a scenario: the table's, and
    each index's (by index name)."""

    step: str  # the function that wrote it (agent API: ``api``)
    item: str
    table: float
    indexes: Mapping[str, float]

    @property
    def total(self) -> float:
        return self.table + sum(self.indexes.values())


@dataclass(frozen=True)
class CostFigures:
    inbound: Scenario
    reply: Scenario
    reply_writes: tuple[ItemWrites, ...]  # per reply, in the order they were first written
    # The same cases' next reply: the agent owns the case already, and answers the customer's next message.
    later_reply: Scenario
    later_reply_writes: tuple[ItemWrites, ...]
    shapes: tuple[ShapeRequests, ...]
    write_units: tuple[float, float]  # per inbound message: table, indexes (ingest's writes)
    seconds: float


def run(clocks: Sequence[ClockFigures]) -> CostFigures:
    from moto import mock_aws
    from socialcare import constants as c
    from socialcare.aws import schema

    deployed = Deployed.read()
    started = time.perf_counter()
    with mock_aws(), recording() as calls, cost_world(calls, deployed) as world:
        with calls.during("inbound"):
            for n, delivery in enumerate(_deliveries(world.page), 1):
                world.deliver(delivery)
                if n % deployed.batch_size[c.INGEST_FUNCTION] == 0:  # the mapping takes each full batch
                    world.drain(c.INGEST_FUNCTION)
            world.drain(c.INGEST_FUNCTION)
        with calls.during(None):
            cases = _case_ids(world)
        with calls.during("reply"):
            for case_id in cases:
                world.reply(case_id, REPLY_TEXT)
                world.settle()
        with calls.during(None):  # the customers write again (not priced: the inbound scenario prices messages)
            for delivery in _answers(world.page, len(cases)):
                world.deliver(delivery)
            world.drain(c.INGEST_FUNCTION)
            world.settle()
        with calls.during(LATER):
            for case_id in cases:
                world.reply(case_id, REPLY_TEXT)
                world.settle()
        with calls.during(None):
            ledger = account(calls.calls, {world.table: TableShape.of(schema.create_table_kwargs(world.table))})
    transitions = _transitions_per_start(world, clocks)
    ingested = [u for u in ledger if u.call.phase == f"inbound/{c.INGEST_FUNCTION}"]
    return CostFigures(
        inbound=_scenario(world, "inbound", ingest.MESSAGES, INBOUND_TARGET, ledger, transitions),
        reply=_scenario(world, "reply", len(cases), REPLY_TARGET, ledger, transitions),
        reply_writes=item_writes([u for u in ledger if u.call.within("reply")], len(cases)),
        later_reply=_scenario(world, LATER, len(cases), REPLY_TARGET, ledger, transitions),
        later_reply_writes=item_writes([u for u in ledger if u.call.within(LATER)], len(cases)),
        shapes=_shapes([u.call for u in ingested]),
        write_units=(
            sum(u.write_units - u.index_write_units for u in ingested) / ingest.MESSAGES,
            sum(u.index_write_units for u in ingested) / ingest.MESSAGES,
        ),
        seconds=time.perf_counter() - started,
    )


def item_writes(units_of_calls: Sequence[CallUnits], units: int) -> tuple[ItemWrites, ...]:
    """The calls' write units by the function that made them and the item written, per scenario unit."""
    table: dict[tuple[str, str], float] = defaultdict(float)
    indexes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for call_units in units_of_calls:
        step = (call_units.call.phase or "").rpartition("/")[2]
        for charge in call_units.writes:
            where = (step, charge.item)
            table[where] += 0 if charge.index else charge.units
            if charge.index:
                indexes[where][charge.index] += charge.units
    return tuple(
        ItemWrites(step, item, total / units, {name: n / units for name, n in sorted(indexes[(step, item)].items())})
        for (step, item), total in table.items()
    )


def _deliveries(page: str) -> Iterable[dict[str, Any]]:
    """The ingest bench's messages (``setup.messenger_delivery``), one a delivery, to the sandbox's Page."""
    from tests.bench.setup import messenger_delivery

    now = int(time.time() * 1000)  # the messaging window of a reply is counted from the message
    for n in range(ingest.MESSAGES):
        yield _on_page(messenger_delivery(n, 1, customers=ingest.CUSTOMERS, ts=now), page)


def _answers(page: str, customers: int) -> Iterable[dict[str, Any]]:
    """Each of the first ``customers`` writes once more (Messenger, one message a delivery)."""
    from tests.bench.setup import messenger_delivery

    now = int(time.time() * 1000)
    for n in range(customers):
        yield _on_page(messenger_delivery(ingest.MESSAGES + n, 1, customers=ingest.CUSTOMERS, ts=now), page)


def _on_page(delivery: dict[str, Any], page: str) -> dict[str, Any]:
    """The bench's delivery, to the sandbox's Page."""
    from tests.bench.setup import PAGE

    return json.loads(json.dumps(delivery).replace(PAGE, page))  # type: ignore[no-any-return]


def _case_ids(world: CostWorld) -> list[str]:
    from socialcare.aws.case_store import CaseStore

    store = CaseStore(world.table)
    found = [store.current_case(world.page, [f"psid-{n}"]).case for n in range(min(REPLIES, ingest.CUSTOMERS))]
    return [case.case_id for case in found if case is not None]


def _transitions_per_start(world: CostWorld, clocks: Sequence[ClockFigures]) -> dict[str, tuple[str, int]]:
    """Machine ARN -> (name, transitions of its typical lifecycle in the case-clock bench: the first
    figure given for each machine that started at all — a case clock that is never started costs none,
    and what is priced here is each start made)."""
    from socialcare import constants as c

    typical = {
        machine: next(f for f in clocks if f.machine == machine and f.transitions)
        for machine in ("case clock", "follow-up")
    }
    return {
        world.env[c.ENV_CASE_CLOCK_ARN]: ("case clock", typical["case clock"].transitions),
        world.env[c.ENV_FOLLOW_UP_ARN]: ("follow-up", typical["follow-up"].transitions),
    }


def _scenario(
    world: CostWorld,
    name: str,
    units: int,
    target: float,
    ledger: Sequence[CallUnits],
    transitions: Mapping[str, tuple[str, int]],
) -> Scenario:
    calls = world.calls.of(name)
    timings = world.timings.of(name)
    lines = [
        *_api_gateway(timings, units),
        _lambda(world.deployed, timings, units),
        _sqs(calls, units),
        _dynamodb([u for u in ledger if u.call.within(name)], units),
        *_others(calls, units, transitions),
    ]
    priced = {"sqs", "dynamodb", "s3", "firehose", "events", "stepfunctions"}
    unpriced = Counter(
        f"{call.service} {call.operation}"
        for call in calls
        if call.service not in priced and (call.service, call.operation) not in NOT_PER_MESSAGE
    )
    return Scenario(name, units, tuple(line for line in lines if line is not None), target, unpriced)


def _api_gateway(timings: Mapping[str, list[float]], units: int) -> list[Line]:
    """The agent API's REST API requests (the webhook's function URL is Lambda only)."""
    lines = []
    if api := len(timings.get("api", ())):
        lines.append(Line("API Gateway", f"REST API {api / units:.2f} requests", api * REST_API_PER_MILLION / 1e6))
    return lines


def _lambda(deployed: Deployed, timings: Mapping[str, list[float]], units: int) -> Line:
    price = LAMBDA_GB_SECOND[deployed.architecture]
    dollars, parts = 0.0, []
    for function, times in sorted(timings.items()):
        memory = deployed.memory_mb[function]
        gb_seconds = sum(math.ceil(ms) for ms in times) / 1000 * memory / 1024
        dollars += len(times) * LAMBDA_REQUESTS_PER_MILLION / 1e6 + gb_seconds * price
        parts.append(f"{function} {len(times) / units:.2f} × {sum(times) / len(times):.0f} ms at {memory} MB")
    return Line("Lambda", f"{'; '.join(parts)}; {deployed.architecture}", dollars)


def _sqs(calls: Sequence[Call], units: int) -> Line | None:
    mine = [call for call in calls if call.service == "sqs"]
    if not mine:
        return None
    requests = sum(_sqs_requests(call) for call in mine)
    by_op = Counter(call.operation for call in mine)
    detail = ", ".join(f"{op} {count / units:.2f}" for op, count in by_op.most_common())
    return Line("SQS", f"{requests / units:.2f} requests ({detail})", requests * SQS_PER_MILLION / 1e6)


def _sqs_requests(call: Call) -> int:
    """Each 64 KB of a request's payload is a request of its own."""
    params, response = call.params, call.response or {}
    if call.operation == "SendMessage":
        payload = _message_bytes(params)
    elif call.operation == "SendMessageBatch":
        payload = sum(_message_bytes(entry) for entry in params["Entries"])
    elif call.operation == "ReceiveMessage":
        payload = sum(_message_bytes(message, body="Body") for message in response.get("Messages", ()))
    else:
        return 1
    return max(1, math.ceil(payload / SQS_CHUNK_BYTES))


def _message_bytes(message: Mapping[str, Any], body: str = "MessageBody") -> int:
    attributes = message.get("MessageAttributes") or {}
    return len(str(message.get(body, "")).encode()) + len(json.dumps(attributes, default=str).encode())


def _dynamodb(units_of_calls: Sequence[CallUnits], units: int) -> Line | None:
    if not units_of_calls:
        return None
    writes = sum(u.write_units for u in units_of_calls)
    index = sum(u.index_write_units for u in units_of_calls)
    reads = sum(u.read_units for u in units_of_calls)
    detail = (
        f"{len(units_of_calls) / units:.2f} requests; {writes / units:.2f} WRU (table {(writes - index) / units:.2f}, "
        f"indexes {index / units:.2f}), {reads / units:.2f} RRU"
    )
    dollars = writes * DYNAMODB_WRU_PER_MILLION / 1e6 + reads * DYNAMODB_RRU_PER_MILLION / 1e6
    return Line("DynamoDB", detail, dollars)


def _others(calls: Sequence[Call], units: int, transitions: Mapping[str, tuple[str, int]]) -> list[Line | None]:
    s3 = [call for call in calls if call.service == "s3"]
    puts = sum(1 for call in s3 if call.operation.startswith(("Put", "Copy", "Post", "List", "Create")))
    records = [
        record
        for call in calls
        if call.service == "firehose"
        for record in (call.params.get("Records") or [call.params.get("Record", {})])
    ]
    billed_bytes = sum(
        math.ceil(max(1, len(r.get("Data", b""))) / FIREHOSE_RECORD_BYTES) * FIREHOSE_RECORD_BYTES for r in records
    )
    events = [entry for call in calls if call.operation == "PutEvents" for entry in call.params["Entries"]]
    starts = Counter(
        transitions.get(call.params["stateMachineArn"], ("other", 0))
        for call in calls
        if call.service == "stepfunctions" and call.operation == "StartExecution"
    )
    steps = sum(count * per_start for (_, per_start), count in starts.items())
    return [
        Line(
            "S3",
            ", ".join(f"{op} {n / units:.2f}" for op, n in Counter(call.operation for call in s3).most_common()),
            puts * S3_PUT_PER_1000 / 1000 + (len(s3) - puts) * S3_GET_PER_1000 / 1000,
        )
        if s3
        else None,
        Line(
            "Firehose",
            f"{len(records) / units:.2f} records, {billed_bytes / units / 1024:.1f} KB billed",
            billed_bytes / 1024**3 * FIREHOSE_PER_GB,
        )
        if records
        else None,
        Line(
            "EventBridge",
            f"{len(events) / units:.3f} events",
            sum(math.ceil(len(json.dumps(e).encode()) / SQS_CHUNK_BYTES) for e in events)
            * EVENTBRIDGE_PER_MILLION
            / 1e6,
        )
        if events
        else None,
        Line(
            "Step Functions",
            ", ".join(
                f"{name} {count / units:.2f} executions × {n} transitions" for (name, n), count in starts.items()
            ),
            steps * PRICE_PER_1000_TRANSITIONS / 1000,
        )
        if starts
        else None,
    ]


def _shapes(calls: Sequence[Call]) -> tuple[ShapeRequests, ...]:
    """DynamoDB requests per new message by the customer's shape: the requests naming one customer
    (``psid-<n>``) in an invocation are that message's; the others are the invocation's, shared
    among its messages."""
    seen: set[str] = set()
    own: dict[str, list[Counter[str]]] = defaultdict(list)
    by_invocation: dict[int, list[Call]] = defaultdict(list)
    for call in calls:
        if call.service == "dynamodb":
            by_invocation[call.invocation].append(call)
    for number in sorted(by_invocation):
        messages: dict[str, Counter[str]] = defaultdict(Counter)
        shared: Counter[str] = Counter()
        for call in by_invocation[number]:
            customers = set(re.findall(r"psid-\d+", json.dumps(call.params, default=str)))
            target = messages[customers.pop()] if len(customers) == 1 else shared
            target[call.operation] += 1
        for customer, requests in messages.items():
            for op, count in shared.items():
                requests[f"per invocation: {op}"] += count / len(messages)  # type: ignore[assignment]
            own[
                "a returning customer's (their open case)" if customer in seen else "a customer's first (a new case)"
            ].append(requests)
        seen |= set(messages)
    return tuple(_shape(shape, found) for shape, found in own.items())


def _shape(shape: str, found: list[Counter[str]]) -> ShapeRequests:
    totals: Counter[str] = Counter()
    for requests in found:
        totals.update(requests)
    by_op = {op: count / len(found) for op, count in sorted(totals.items())}
    return ShapeRequests(shape, len(found), sum(by_op.values()), by_op)


if __name__ == "__main__":  # this part alone: python -m tests.bench.cost
    from socialcare_local.emulator import moto_dynamodb

    from tests.bench import case_clock
    from tests.bench.setup import environment

    environment()
    moto_dynamodb.install()
    figures = run(case_clock.run())
    for scenario in (figures.inbound, figures.reply, figures.later_reply):
        print(
            f"{scenario.name}: ${scenario.total:.2f} per 1M (target ${scenario.target:g}); unpriced {dict(scenario.unpriced)}"
        )
        for line in scenario.lines:
            print(f"  {line.service}: ${scenario.per_million(line.dollars):.3f}  {line.detail}")
    for shape in figures.shapes:
        print(f"{shape.shape}: {shape.per_message:.2f} requests ({shape.by_operation}) over {shape.messages}")
    for name, breakdown in (("reply", figures.reply_writes), (LATER, figures.later_reply_writes)):
        for writes in breakdown:
            print(f"{name}, {writes.step}: {writes.item} {writes.total:g} ({writes.table:g}; {dict(writes.indexes)})")
    print(f"write units per inbound message, table / indexes: {figures.write_units}; {figures.seconds:.0f} s")
