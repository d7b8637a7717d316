"""The one way a function module is wired: given clients and clock are used, wire() restores defaults."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare.aws.wiring import AwsClients, Wiring, lazy_client
from socialcare.clock import ManualClock, system_clock


@pytest.fixture(autouse=True)
def _region(monkeypatch: pytest.MonkeyPatch) -> None:
    # making a boto3 client needs a region, not a network or credentials
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def test_given_clients_are_used_and_others_made_once() -> None:
    given = object()
    clients = AwsClients({"sqs": given})
    assert clients("sqs") is given
    made = clients("s3")
    assert clients("s3") is made  # one client per service per process
    assert made is not given


def test_service_is_built_once_and_rebuilt_after_wire() -> None:
    builds: list[tuple[Any, Any]] = []

    def build(clients: AwsClients, clock: Any) -> tuple[Any, Any]:
        built = (clients("dynamodb"), clock)
        builds.append(built)
        return built

    wiring: Wiring[tuple[Any, Any]] = Wiring(build)
    ddb, clock = object(), ManualClock()
    wiring.wire(clients={"dynamodb": ddb}, clock=clock)
    assert wiring.get() == (ddb, clock)
    assert wiring.get() is builds[0]
    assert len(builds) == 1

    wiring.wire()
    assert wiring.clock is system_clock
    client, used_clock = wiring.get()
    assert client is not ddb
    assert used_clock is system_clock
    assert len(builds) == 2


def test_lazy_client_prefers_the_given_one() -> None:
    given = object()
    assert lazy_client("dynamodb", given)() is given
    get = lazy_client("dynamodb", None)
    assert get() is get()
