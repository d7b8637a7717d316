"""Fixtures the integration tests share: the deployed functions over moto, the case table's store, and
the follow-up machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from socialcare.aws.case_store import CaseStore

from tests.agent_api_support import (
    ApiClient,
    MotoClients,
    World,
    app_module,
    configured_wiring,
    fresh_world,
    moto_session,
    world_clients,
)
from tests.conftest import AwsResources
from tests.follow_up_support import FollowUpWorld, follow_up_world
from tests.integration.lambda_harness import Lambdas, bus_to_queue


@pytest.fixture
def lambdas(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lambdas]:
    harness = Lambdas(aws, monkeypatch)
    yield harness
    harness.close()


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoClients]:
    """A moto session for a whole module (the agent API's tests open a fresh world in it per test)."""
    with moto_session() as clients:
        yield clients


@pytest.fixture
def store(aws: AwsResources) -> CaseStore:
    return CaseStore(aws.table_name, client=aws.dynamodb)


@pytest.fixture
def follow_ups(aws_env: None) -> Iterator[FollowUpWorld]:
    """The follow-up's ASL file in moto's Step Functions engine, its executions stopped at the end."""
    with follow_up_world() as opened:
        yield opened


@pytest.fixture
def world(moto: MotoClients) -> Iterator[World]:
    """A world of the agent API on fresh tables of the module's moto session."""
    with fresh_world(moto) as opened:
        yield opened


@pytest.fixture
def notices_queue(aws: AwsResources) -> str:
    """The project's bus (``EVENT_BUS``), its ``socialcare`` events delivered to this queue."""
    return bus_to_queue(aws)


@pytest.fixture
def api(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiClient]:
    """The agent API's app wired to ``world`` (its clients and clock), through Chalice's test client."""
    wiring = configured_wiring(world, monkeypatch)
    wiring.wire(clients=world_clients(world), clock=world.clock)
    yield ApiClient(app_module().app)
    wiring.wire()
