"""The agent API on the local stack, over real HTTP: customers write in through the platform sandbox,
agents work the cases through the API with tokens the stack issues, each reply is sent by the
outbound function to the sandbox's reply API in the customer's channel, and the echo the platform
sends back is recognised as the brand's own message."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from socialcare_local.cli import main
from socialcare_local.endpoints import print_endpoints
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.reply_api import RecordedCall
from socialcare_local.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running


class Agent:
    """An agent with a token, talking to the API like curl would."""

    def __init__(self, stack: LocalStack, agent_id: str, **kw: Any) -> None:
        self.base = stack.api_base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = stack.agent_token(agent_id, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.base + path, timeout=10, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        return self.session.post(self.base + path, json=body if body is not None else {}, timeout=10, **kw)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def sent_calls(stack: LocalStack, endpoint: str, since: int) -> list[RecordedCall]:
    """The calls the platform sandbox accepted on ``endpoint`` since call number ``since``."""
    stack.wait_until_idle()
    assert stack.reply_api is not None
    return [call for call in stack.reply_api.calls()[since:] if call.endpoint == endpoint and call.accepted]


def calls_so_far(stack: LocalStack) -> int:
    assert stack.reply_api is not None
    return len(stack.reply_api.calls())


def find_case(agent: Agent, customer_id: str, query: str = "") -> dict[str, Any]:
    response = agent.get(f"/queues/care/cases{query}")
    assert response.status_code == 200, response.text
    matches = [c for c in response.json()["cases"] if c["customer"]["user_id"] == customer_id]
    assert len(matches) == 1, response.json()
    return matches[0]


def test_a_customer_message_is_claimed_and_answered_in_its_channel(stack: LocalStack) -> None:
    page = stack.config.accounts.facebook_page_id
    assert page is not None
    sandbox = stack.sandbox()
    message = p.messenger_message(page, "psid-e2e-1", "m_e2e_1", "My order #1234 never arrived 😞", now_ms())
    assert (
        sandbox.send(sandbox.meta(p.meta_delivery("page", [p.meta_entry(page, [message], time=now_ms())]))).status_code
        == 200
    )
    stack.wait_until_idle()

    alice = Agent(stack, "alice", name="Alice Smith")
    case = find_case(alice, "psid-e2e-1", "?channel=messenger")
    assert case["owner"] is None
    assert "psid-e2e-1" in [
        c["customer"]["user_id"] for c in alice.get("/queues/care/cases?assignee=none").json()["cases"]
    ]
    assert case["status"] == "open"
    detail = alice.get(f"/cases/{case['case_id']}").json()
    assert [e["text"] for e in detail["thread"]] == ["My order #1234 never arrived 😞"]

    claimed = alice.post(f"/cases/{case['case_id']}/claim")
    assert claimed.status_code == 200
    assert claimed.json()["case"]["owner"] == "alice"
    canned = alice.get(f"/cases/{case['case_id']}/canned-responses").json()["canned_responses"]
    late = next(r for r in canned if r["id"] == "late-order")
    assert late["text"] is None  # Messenger does not tell us the customer's name
    assert "customer_name" in late["unavailable"]
    before = calls_so_far(stack)
    reply = alice.post(
        f"/cases/{case['case_id']}/replies",
        {"text": "So sorry — your order is late. I'm checking with the courier now."},
        headers={"Idempotency-Key": "e2e-reply-1", "If-Match": claimed.headers["ETag"]},
    )
    assert reply.status_code == 202, reply.text
    entry = reply.json()["entry"]
    assert entry["delivery_state"] == "pending"

    [call] = sent_calls(stack, "messenger", before)
    assert call.path.endswith(f"/{page}/messages")
    assert call.body["recipient"] == {"id": "psid-e2e-1"}
    assert call.body["messaging_type"] == "RESPONSE"
    assert call.body["message"]["text"] == "So sorry — your order is late. I'm checking with the courier now.\n— Alice"
    assert [label for label, status in call.echoes if status == 200]  # Messenger echoed the reply back

    detail = alice.get(f"/cases/{case['case_id']}").json()
    thread = detail["thread"]  # newest first
    # The echo of the reply is the reply itself, not a second message and not a customer message.
    assert [(e["kind"], e["delivery_state"]) for e in thread] == [("outbound", "sent"), ("inbound", None)]
    assert thread[0]["entry_id"] == entry["entry_id"]
    assert detail["case"]["first_response_at"] is not None
    mine = alice.get("/me/cases").json()["cases"]
    assert case["case_id"] in [c["case_id"] for c in mine]


def test_a_public_complaint_moves_to_private_and_the_dm_joins_the_case(stack: LocalStack) -> None:
    brand_id = stack.config.accounts.x_user_id
    assert brand_id is not None
    sandbox = stack.sandbox()
    joe = p.x_user("4400000000000000077", "joe_e2e", "Joe E2E")
    brand = p.x_user(brand_id, "AcmeCare")
    tweet = p.x_tweet("1900000000000000077", joe, "@AcmeCare two weeks and no parcel!", now_ms(), mentions=[brand])
    sandbox.send(sandbox.x(p.x_delivery(brand_id, tweet_create_events=[tweet])))
    stack.wait_until_idle()

    bob = Agent(stack, "bob", name="Bob Jones")
    case = find_case(bob, "4400000000000000077", "?channel=x_post")
    before = calls_so_far(stack)
    moved = bob.post(f"/cases/{case['case_id']}/move-to-private")
    assert moved.status_code == 202, moved.text
    assert moved.json()["case"]["status"] == "pending_customer"
    [call] = sent_calls(stack, "x_reply", before)
    assert call.body["reply"] == {"in_reply_to_tweet_id": "1900000000000000077"}
    assert "direct message" in call.body["text"]

    dm = p.x_dm("1900000000000000078", "4400000000000000077", brand_id, "Order 1234, thanks", now_ms())
    sandbox.send(sandbox.x(p.x_delivery(brand_id, direct_message_events=[dm], users=[joe, brand])))
    stack.wait_until_idle()
    detail = bob.get(f"/cases/{case['case_id']}").json()
    assert detail["case"]["status"] == "open"
    assert detail["case"]["channels"] == ["x_dm", "x_post"]
    assert [e["kind"] for e in detail["thread"]] == ["inbound", "status_change", "outbound", "inbound"]


def test_whatsapp_after_24_hours_a_text_is_refused_and_a_template_goes_out(stack: LocalStack) -> None:
    phone = stack.config.accounts.whatsapp_phone_number_id
    waba = stack.config.accounts.whatsapp_business_account_id
    assert phone is not None
    assert waba is not None
    sandbox = stack.sandbox()
    written_s = (now_ms() - 26 * 3_600_000) // 1000  # delivered a day late (Meta retries for 7 days)
    value = p.whatsapp_message(phone, "233209990001", "wamid.E2E_LATE_1", "My jacket is torn", written_s)
    assert sandbox.send(sandbox.meta(p.meta_delivery("whatsapp_business_account", [p.meta_entry(waba, [value])]))).ok
    stack.wait_until_idle()
    alice = Agent(stack, "alice", name="Alice Smith")
    case = find_case(alice, "233209990001", "?channel=whatsapp")
    before = calls_so_far(stack)

    refused = alice.post(f"/cases/{case['case_id']}/replies", {"text": "A new one is on its way"})
    template = {"name": "order_issue", "language": "en_US", "components": [{"type": "body", "parameters": []}]}
    accepted = alice.post(f"/cases/{case['case_id']}/replies", {"template": template})

    assert (refused.status_code, refused.json()["code"]) == (422, "template_required")
    assert accepted.status_code == 202, accepted.text
    [call] = sent_calls(stack, "whatsapp", before)
    assert call.body["type"] == "template"
    assert call.body["template"] == {
        "name": "order_issue",
        "language": {"code": "en_US"},  # WhatsApp's shape of the API's "language": "en_US"
        "components": [{"type": "body", "parameters": []}],
    }
    thread = alice.get(f"/cases/{case['case_id']}").json()["thread"]
    assert [(e["kind"], e["delivery_state"]) for e in thread] == [("outbound", "delivered"), ("inbound", None)]


def test_tokens_and_teams_are_enforced_over_http(stack: LocalStack) -> None:
    base = stack.api_base_url
    assert requests.get(f"{base}/queues/care/cases", timeout=5).json() == {"message": "Unauthorized"}
    outsider = Agent(stack, "olga", teams=("billing",))
    refused = outsider.get("/queues/care/cases")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden_team"


def test_the_token_command_and_the_banner_point_at_the_api(
    stack: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "--agent", "carol", "--team", "care", "--role", "lead"]) == 0
    token = capsys.readouterr().out.strip()
    me = requests.get(f"{stack.api_base_url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert me.json()["role"] == "lead"
    banner = io.StringIO()
    print_endpoints(stack, file=banner)
    assert stack.api_base_url in banner.getvalue()
    assert "socialcare token --agent alice" in banner.getvalue()


def test_the_brand_profile_is_seeded_from_the_config(stack: LocalStack) -> None:
    admin = Agent(stack, "root", teams=(), role="admin")
    page = stack.config.accounts.facebook_page_id
    profile = admin.get(f"/accounts/{page}/profile").json()
    assert profile["brand_name"] == "Acme Outfitters"
    assert profile["updated_by"] == "socialcare-local"
    assert json.dumps(profile["canned_responses"]).count('"id"') == 3
