"""Starting and stopping the local stack leaves the process as it found it."""

from __future__ import annotations

import os

import pytest
import requests
from socialcare_local.emulator.aws import PortInUse
from socialcare_local.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _no_op_webhook(event: dict, context: object) -> dict:
    return {"statusCode": 204}


def _no_op_ingest(event: dict, context: object) -> None:
    return None


def test_stopping_restores_the_environment_and_frees_the_ports() -> None:
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with LocalStack(webhook_handler=_no_op_webhook, ingest_handler=_no_op_ingest) as running:
        assert os.environ["AWS_ENDPOINT_URL"] == running.aws_endpoint_url
        url = running.webhook_url("meta")
        assert requests.post(url, data=b"{}", timeout=5).status_code == 204
    assert "AWS_ENDPOINT_URL" not in os.environ
    with pytest.raises(requests.ConnectionError):
        requests.post(url, data=b"{}", timeout=2)


def test_a_stack_starts_again_in_the_same_process_with_fresh_state() -> None:
    for _ in range(2):
        with LocalStack(webhook_handler=_no_op_webhook, ingest_handler=_no_op_ingest) as running:
            tables = running.client("dynamodb").list_tables()["TableNames"]
            assert tables == [running.resources.table_name]


def test_a_port_in_use_is_a_clear_error() -> None:
    with LocalStack(webhook_handler=_no_op_webhook, ingest_handler=_no_op_ingest) as first:
        taken = int(first.aws_endpoint_url.rsplit(":", 1)[1])
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        with pytest.raises(PortInUse, match=str(taken)):
            LocalStack(webhook_handler=_no_op_webhook, ingest_handler=_no_op_ingest, aws_port=taken).start()
    assert "AWS_ENDPOINT_URL" not in os.environ


@pytest.mark.parametrize(
    ("option", "flag"), [("port", "--port"), ("api_port", "--api-port"), ("reply_port", "--reply-port")]
)
def test_a_server_port_in_use_is_named_with_its_option(option: str, flag: str) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        stack = LocalStack(webhook_handler=_no_op_webhook, ingest_handler=_no_op_ingest, **{option: taken})
        with pytest.raises(PortInUse, match=rf"127\.0\.0\.1:{taken} is already in use.*\({flag}\)"):
            stack.start()
    assert "AWS_ENDPOINT_URL" not in os.environ
