"""Fixtures the integration tests share: the deployed functions over moto, and the case table's store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from socialcare.aws.case_store import CaseStore

from tests.conftest import AwsResources
from tests.integration.lambda_harness import Lambdas


@pytest.fixture
def lambdas(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lambdas]:
    harness = Lambdas(aws, monkeypatch)
    yield harness
    harness.close()


@pytest.fixture
def store(aws: AwsResources) -> CaseStore:
    return CaseStore(aws.table_name, client=aws.dynamodb)
