"""The webhook Lambda handler on moto: handshakes, acceptance, and every refusal storing nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re

import pytest
from socialcare import constants as c
from socialcare.model.envelope import DeliveryEnvelope

from tests.conftest import AwsResources
from tests.integration.lambda_harness import HttpResponse, Lambdas
from tests.platform_fixtures import (
    META_VERIFY_TOKEN,
    X_CONSUMER_SECRET,
    encode,
    load,
    meta_signature,
    signed_headers,
    wire_body,
    x_signature,
)

pytestmark = pytest.mark.integration


def assert_refused(lambdas: Lambdas, response: HttpResponse, status: int, code: str, reason: str) -> None:
    assert response.status == status, response.body
    doc = response.json()
    assert doc["error"] == code
    assert reason in doc["message"]
    assert lambdas.raw_keys() == []
    assert lambdas.queue_depth() == 0
    assert lambdas.receive() == []


# --- refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("platform", ["meta", "x", "telegram"])
def test_no_signature_is_401_and_nothing_is_kept(lambdas: Lambdas, platform: str) -> None:
    body = wire_body(platform, {"meta": "messenger_message", "x": "dm", "telegram": "message"}[platform])
    response = lambdas.request("POST", platform, body=body, headers={"content-type": "application/json"})
    assert_refused(lambdas, response, 401, "signature_missing", "header is missing")


@pytest.mark.parametrize(
    ("platform", "headers"),
    [
        ("meta", {"X-Hub-Signature-256": meta_signature(b"another body")}),
        ("meta", {"X-Hub-Signature-256": "sha256=not-hex"}),
        ("x", {"X-Twitter-Webhooks-Signature": x_signature(b"another body")}),
        ("telegram", {"X-Telegram-Bot-Api-Secret-Token": "a-guessed-token"}),
    ],
)
def test_bad_signature_is_403_and_nothing_is_kept(lambdas: Lambdas, platform: str, headers: dict[str, str]) -> None:
    body = wire_body(platform, {"meta": "messenger_message", "x": "dm", "telegram": "message"}[platform])
    response = lambdas.request("POST", platform, body=body, headers=headers)
    assert_refused(lambdas, response, 403, "signature_invalid", "")


def test_signature_of_the_reserialised_body_is_403(lambdas: Lambdas) -> None:
    """Meta signs its escaped bytes; the same JSON re-serialised as UTF-8 must not pass."""
    escaped = wire_body("meta", "messenger_message_unicode")
    utf8 = json.dumps(json.loads(escaped), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    response = lambdas.request("POST", "meta", body=utf8, headers={"X-Hub-Signature-256": meta_signature(escaped)})
    assert_refused(lambdas, response, 403, "signature_invalid", "does not match")


@pytest.mark.parametrize(
    ("platform", "body", "reason"),
    [
        ("meta", b'{"object":"page","entry":[{"id":"1",', "body is not valid JSON"),
        ("meta", b'{"object":"page","entry":"soon"}', "entry must be a list"),
        ("meta", b'{"object":"user","entry":[]}', "object must be one of"),
        ("x", b'{"direct_message_events":[]}', "for_user_id"),
        ("x", b"[]", "must be a JSON object"),
        ("telegram", b'{"message":{"text":"hi"}}', "update_id"),
        ("telegram", b"\xff\xfe\x00", "UTF-8"),
    ],
)
def test_malformed_signed_body_is_400_with_the_reason(
    lambdas: Lambdas, platform: str, body: bytes, reason: str
) -> None:
    response = lambdas.request("POST", platform, body=body, headers=signed_headers(platform, body))
    assert_refused(lambdas, response, 400, "malformed_payload", reason)


def test_body_over_the_limit_is_413_before_anything_else(lambdas: Lambdas) -> None:
    doc = load("meta", "messenger_message")
    doc["padding"] = "x" * c.MAX_WEBHOOK_BODY_BYTES
    body = encode("meta", doc)
    assert len(body) > c.MAX_WEBHOOK_BODY_BYTES
    response = lambdas.request("POST", "meta", body=body, headers=signed_headers("meta", body))
    assert_refused(lambdas, response, 413, "payload_too_large", str(c.MAX_WEBHOOK_BODY_BYTES))


def test_body_at_the_limit_is_not_refused_for_its_size(lambdas: Lambdas) -> None:
    doc = load("meta", "messenger_message")
    doc["padding"] = ""
    doc["padding"] = "x" * (c.MAX_WEBHOOK_BODY_BYTES - len(encode("meta", doc)))
    body = encode("meta", doc)
    assert len(body) == c.MAX_WEBHOOK_BODY_BYTES
    assert lambdas.post("meta", body).status == 200


@pytest.mark.parametrize("platform", ["myspace", "META", "whatsapp", "meta%2F.."])
def test_unknown_platform_is_404_and_nothing_is_kept(lambdas: Lambdas, platform: str) -> None:
    body = wire_body("meta", "messenger_message")
    response = lambdas.request("POST", platform, body=body, headers=signed_headers("meta", body))
    assert_refused(lambdas, response, 404, "unknown_platform", "unknown platform")


# --- acceptance -------------------------------------------------------------------------------
def test_accepted_delivery_is_enqueued_with_its_exact_bytes_and_events_then_archived(
    aws: AwsResources, monkeypatch: pytest.MonkeyPatch
) -> None:
    lambdas = Lambdas(aws, monkeypatch, own_clients=True)  # the functions' own wiring, as in AWS
    body = wire_body("meta", "batch_mixed")
    response = lambdas.post("meta", body)
    assert response.status == 200
    receipt = response.json()
    assert receipt == {"status": "accepted", "delivery_id": hashlib.sha256(body).hexdigest()[:32], "events": 8}
    assert lambdas.raw_keys() == []  # no S3 PUT: the message carries the raw bytes
    [message] = lambdas.receive()
    envelope = DeliveryEnvelope.from_json(message["Body"])
    assert (envelope.platform, envelope.delivery_id) == ("meta", receipt["delivery_id"])
    assert envelope.raw_key.startswith("raw/meta/")
    assert envelope.raw_key.endswith(f"{hashlib.sha256(body).hexdigest()}.json")
    assert envelope.body is not None
    assert envelope.body.encode("utf-8") == body
    assert len(envelope.events or ()) == 8  # parsed once, here: ingest parses nothing again
    assert message["MessageAttributes"]["platform"]["StringValue"] == "meta"
    # Ingest archives it (Firehose, GZIP under raw/meta/<yyyy/MM/dd/HH>/) before its message leaves the queue.
    lambdas.poller.process([message])
    [archived] = lambdas.raw_keys()
    assert re.match(r"raw/meta/\d{4}/\d{2}/\d{2}/\d{2}/socialcare-raw-meta-test-", archived), archived
    assert lambdas.raw_object(envelope.raw_key) == body
    lambdas.close()


def test_non_utf8_bytes_travel_base64_and_are_judged_on_the_exact_bytes(lambdas: Lambdas) -> None:
    body = b'{"update_id":1,"message":"\xe9"}'  # Latin-1, not UTF-8: API Gateway base64-encodes it
    response = lambdas.request("POST", "telegram", body=body, headers=signed_headers("telegram", body))
    assert_refused(lambdas, response, 400, "malformed_payload", "UTF-8")


def test_telegram_delivery_is_filed_under_the_bot_whose_token_matched(lambdas: Lambdas) -> None:
    assert lambdas.post("telegram", load("telegram", "message")).status == 200
    [message] = lambdas.receive()
    assert DeliveryEnvelope.from_json(message["Body"]).account_id == "7001"


def test_x_delivery_with_emoji_is_accepted_on_its_utf8_signature(lambdas: Lambdas) -> None:
    body = wire_body("x", "tweet_extended")
    assert "👨\u200d👩\u200d👧".encode() in body
    assert lambdas.post("x", body).json()["events"] == 1


# --- handshakes -------------------------------------------------------------------------------
def test_meta_handshake_echoes_the_challenge_as_plain_text(lambdas: Lambdas) -> None:
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": META_VERIFY_TOKEN}
    response = lambdas.request("GET", "meta", query=query)
    assert (response.status, response.body) == (200, b"1158201444")
    assert response.headers["content-type"].startswith("text/plain")
    assert lambdas.raw_keys() == []
    assert lambdas.queue_depth() == 0


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "guess"},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
        {},
    ],
)
def test_meta_handshake_with_a_wrong_or_missing_token_is_403(lambdas: Lambdas, query: dict[str, str]) -> None:
    response = lambdas.request("GET", "meta", query=query)
    assert response.status == 403
    assert response.json()["error"] == "handshake_rejected"
    assert b"1158201444" not in response.body


def test_x_crc_answers_with_the_hmac_of_the_token(lambdas: Lambdas) -> None:
    response = lambdas.request("GET", "x", query={"crc_token": "ZmFrZS1jcmMtdG9rZW4="})
    digest = hmac.new(X_CONSUMER_SECRET.encode(), b"ZmFrZS1jcmMtdG9rZW4=", hashlib.sha256).digest()
    assert response.status == 200
    assert response.json() == {"response_token": "sha256=" + base64.b64encode(digest).decode()}


def test_x_crc_without_a_token_is_403(lambdas: Lambdas) -> None:
    response = lambdas.request("GET", "x")
    assert (response.status, response.json()["error"]) == (403, "handshake_rejected")


def test_telegram_has_no_handshake_405(lambdas: Lambdas) -> None:
    response = lambdas.request("GET", "telegram")
    assert (response.status, response.json()["error"]) == (405, "handshake_unsupported")


def test_handshake_for_an_unknown_platform_is_404(lambdas: Lambdas) -> None:
    response = lambdas.request("GET", "myspace", query={"hub.challenge": "1"})
    assert (response.status, response.json()["error"]) == (404, "unknown_platform")


# --- the function URL sends every path and method here ------------------------------------------
@pytest.mark.parametrize("path", ["/", "/webhooks", "/webhooks/", "/webhooks/meta/extra", "/x"])
def test_any_other_path_is_404_and_nothing_is_kept(lambdas: Lambdas, path: str) -> None:
    body = wire_body("meta", "messenger_message")
    response = lambdas.request("POST", "meta", path=path, body=body, headers=signed_headers("meta", body))
    assert_refused(lambdas, response, 404, "not_found", "/webhooks/<platform>")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def test_any_other_method_is_405_naming_get_and_post(lambdas: Lambdas, method: str) -> None:
    body = wire_body("meta", "messenger_message")
    response = lambdas.request(method, "meta", body=body, headers=signed_headers("meta", body))
    assert_refused(lambdas, response, 405, "method_not_allowed", "GET, POST")
    assert response.headers["allow"] == "GET, POST"


def test_every_request_logs_one_access_line_without_query_headers_or_body(
    lambdas: Lambdas, caplog: pytest.LogCaptureFixture
) -> None:
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": META_VERIFY_TOKEN}
    body = wire_body("x", "dm")
    lambdas.webhook.logger.setLevel("INFO")
    try:
        with caplog.at_level(logging.INFO, logger="webhook"):
            assert lambdas.request("GET", "meta", query=query).status == 200
            forged = {"X-Twitter-Webhooks-Signature": "sha256=AAAA"}
            assert lambdas.request("POST", "x", body=body, headers=forged).status == 403
            assert lambdas.request("GET", "meta", path="/favicon.ico").status == 404
    finally:
        lambdas.webhook.logger.setLevel("WARNING")
    formatter = lambdas.webhook.logger.registered_formatter
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.getMessage() == "webhook request"]
    assert [(x["method"], x["path"], x["status"], x.get("platform")) for x in lines] == [
        ("GET", "/webhooks/meta", 200, "meta"),
        ("POST", "/webhooks/x", 403, "x"),
        ("GET", "/favicon.ico", 404, None),
    ]
    assert len({line["request_id"] for line in lines}) == 3
    for line in lines:
        assert line["level"] == "INFO"
        assert isinstance(line["elapsed_ms"], float)
        assert line["elapsed_ms"] >= 0
        assert line["request_id"]
        for secret in (META_VERIFY_TOKEN, "1158201444", "sha256=AAAA", "direct_message_events"):
            assert secret not in json.dumps(line)
