"""Fixtures the integration tests share: the deployed functions over moto, and the case table's store."""

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
from tests.integration.lambda_harness import Lambdas


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
def world(moto: MotoClients) -> Iterator[World]:
    """A world of the agent API on fresh tables of the module's moto session."""
    with fresh_world(moto) as opened:
        yield opened


@pytest.fixture
def api(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiClient]:
    """The agent API's app wired to ``world`` (its clients and clock), through Chalice's test client."""
    wiring = configured_wiring(world, monkeypatch)
    wiring.wire(clients=world_clients(world), clock=world.clock)
    yield ApiClient(app_module().app)
    wiring.wire()
