"""The agent API through Chalice's test client, on moto: every route and rule, every answer checked
against chalice_config/openapi.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from socialcare.model.case import CaseStatus
from socialcare.model.events import Channel, DeliveryState
from socialcare.model.outbound import OutboundRequest

from tests.agent_api_support import (
    ALICE_ME,
    BILLING_ACCOUNT,
    MINUTE,
    T0,
    ApiClient,
    MotoClients,
    World,
    app_module,
    build_service,
    configured_wiring,
    fresh_world,
    world_clients,
)

app_module()  # chalice_config/ on sys.path: chalicelib resolves
from chalicelib.views import iso  # noqa: E402

pytestmark = [
    pytest.mark.integration,
    # Chalice's test client decodes Cognito tokens (as we want) and then warns it does not run the authorizer.
    pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported in local mode"),
]


@pytest.fixture
def world(moto: MotoClients) -> Iterator[World]:
    with fresh_world(moto) as opened:
        yield opened


@pytest.fixture
def wiring(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    wiring = configured_wiring(world, monkeypatch)
    yield wiring
    wiring.wire()


@pytest.fixture
def service(world: World, wiring: Any) -> Any:
    wiring.wire(clients=world_clients(world), clock=world.clock)
    return wiring.service()


@pytest.fixture
def api(service: Any) -> ApiClient:
    return ApiClient(app_module().app)


def case_path(case_id: str, tail: str = "") -> str:
    return f"/cases/{case_id}{tail}"


# --- who am I -------------------------------------------------------------------------------------
def test_me_is_the_caller_as_the_token_says(api: ApiClient) -> None:
    answer = api.get("/me", agent="alice", teams=("care", "billing"), role="lead", name="Alice Smith")
    assert answer.status == 200
    assert answer.json == ALICE_ME


def test_without_claims_the_api_itself_refuses_with_401(api: ApiClient) -> None:
    answer = api.get("/me", agent=None)
    assert answer.status == 401
    assert answer.code == "unauthorized"


# --- queues ---------------------------------------------------------------------------------------
def test_queue_lists_active_cases_most_overdue_first(api: ApiClient, world: World) -> None:
    messenger = world.writes(Channel.MESSENGER, "psid-1", at_ms=T0)  # due T0 + 4 h
    tweet = world.writes(Channel.X_POST, "x-joe", at_ms=T0 + 10 * MINUTE)  # public: due T0 + 1 h 10
    telegram = world.writes(Channel.TELEGRAM, "tg-7", at_ms=T0 + 5 * MINUTE)  # due T0 + 4 h 05
    world.clock.advance(hours=2)

    answer = api.get("/queues/care/cases")

    assert answer.status == 200
    cases = answer.json["cases"]
    assert [c["case_id"] for c in cases] == [tweet.case_id, messenger.case_id, telegram.case_id]
    assert [c["overdue"] for c in cases] == [True, False, False]
    assert cases[0]["response_due_at"] == "2026-01-01T10:10:00.000Z"
    assert answer.json["next_cursor"] is None


def test_queue_filters_by_status_channel_priority_and_assignee(api: ApiClient, world: World) -> None:
    dm = world.writes(Channel.MESSENGER, "psid-1")
    tweet = world.writes(Channel.X_POST, "x-joe")
    telegram = world.writes(Channel.TELEGRAM, "tg-7")
    assert api.post(case_path(dm.case_id, "/claim"), agent="alice").status == 200
    assert api.post(case_path(telegram.case_id, "/claim"), agent="bob").status == 200
    assert api.post(case_path(telegram.case_id, "/status"), {"status": "pending_internal"}, agent="bob").status == 200

    def ids(query: str, agent: str = "alice") -> set[str]:
        answer = api.get(f"/queues/care/cases?{query}", agent=agent)
        assert answer.status == 200, answer.json
        return {c["case_id"] for c in answer.json["cases"]}

    assert ids("channel=x_post") == {tweet.case_id}
    assert ids("priority=high") == {tweet.case_id}  # public posts come in as high priority
    assert ids("assignee=me") == {dm.case_id}
    assert ids("assignee=bob") == {telegram.case_id}
    assert ids("assignee=none") == {tweet.case_id}
    assert ids("status=pending_internal") == {telegram.case_id}
    assert ids("status=open,pending_internal") == {dm.case_id, tweet.case_id, telegram.case_id}
    assert ids("status=open") == {dm.case_id, tweet.case_id}
    listed = api.get("/queues/care/cases?channel=x_post", agent="alice").json["cases"]
    assert [(c["channel"], c["priority"], c["owner"], c["customer"]["user_id"]) for c in listed] == [
        ("x_post", "high", None, "x-joe")
    ]


@pytest.mark.parametrize(
    "query",
    [
        "status=open,pending_internal&channel=telegram",
        "channel=x_post&assignee=none",
        "status=resolved&priority=high",
        "status=open,resolved",
        "resolved_from=2026-01-01",
        "status=open&resolved_to=2026-01-01",
    ],
)
def test_a_combination_of_filters_no_list_serves_is_refused_naming_the_supported_ones(
    api: ApiClient, query: str
) -> None:
    answer = api.get(f"/queues/care/cases?{query}")
    assert (answer.status, answer.code) == (400, "unsupported_filter")
    assert "one filter a request: status" in answer.json["message"]


def test_queue_pages_with_an_opaque_cursor(api: ApiClient, world: World) -> None:
    created = [world.writes(Channel.TELEGRAM, f"tg-{i}", at_ms=T0 + i * MINUTE).case_id for i in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        answer = api.get(f"/queues/care/cases?{query}")
        assert answer.status == 200
        seen += [c["case_id"] for c in answer.json["cases"]]
        pages += 1
        cursor = answer.json["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert 3 <= pages <= 5  # a page of a list merged across shards may be short; none is ever repeated


@pytest.mark.parametrize("mutate", ["flip", "other_query", "garbage"])
def test_an_altered_or_foreign_cursor_is_refused(api: ApiClient, world: World, mutate: str) -> None:
    for i in range(3):
        world.writes(Channel.TELEGRAM, f"tg-{i}")
    cursor = api.get("/queues/care/cases?limit=1").json["next_cursor"]
    assert cursor
    if mutate == "flip":
        body, mac = cursor.split(".")
        cursor = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
        answer = api.get(f"/queues/care/cases?limit=1&cursor={cursor}")
    elif mutate == "other_query":
        answer = api.get(f"/queues/care/cases?limit=1&channel=telegram&cursor={cursor}")
    else:
        answer = api.get("/queues/care/cases?cursor=not-a-cursor")
    assert answer.status == 400
    assert answer.code == "invalid_cursor"


def test_resolved_cases_are_listed_latest_first(api: ApiClient, world: World) -> None:
    first = world.writes(Channel.TELEGRAM, "tg-1")
    second = world.writes(Channel.TELEGRAM, "tg-2")
    for case in (first, second):
        world.clock.advance(minutes=1)
        answer = api.post(case_path(case.case_id, "/status"), {"status": "resolved", "reason": "answered by phone"})
        assert answer.status == 200, answer.json
    resolved = api.get("/queues/care/cases?status=resolved").json["cases"]
    assert [c["case_id"] for c in resolved] == [second.case_id, first.case_id]
    assert [c["finished_at"] for c in resolved] == [iso(T0 + 2 * MINUTE), iso(T0 + MINUTE)]
    assert api.get("/queues/care/cases").json["cases"] == []
    world.clock.advance(minutes=1)
    assert api.post(case_path(first.case_id, "/status"), {"status": "closed", "reason": "done"}).status == 200
    both = api.get("/queues/care/cases?status=resolved,closed").json["cases"]
    assert [(c["case_id"], c["status"]) for c in both] == [(first.case_id, "closed"), (second.case_id, "resolved")]


def test_history_within_resolution_dates(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    assert api.post(case_path(case.case_id, "/status"), {"status": "resolved", "reason": "answered"}).status == 200
    day = iso(world.clock())[:10]
    dated = f"/queues/care/cases?status=resolved&resolved_from={day}&resolved_to={day}"
    assert [c["case_id"] for c in api.get(dated).json["cases"]] == [case.case_id]
    later = (datetime.fromisoformat(day) + timedelta(days=1)).date().isoformat()
    assert api.get(f"/queues/care/cases?status=resolved&resolved_from={later}").json["cases"] == []
    assert api.get(f"/queues/care/cases?status=resolved&resolved_to={later}").json["cases"] != []
    refused = api.get("/queues/care/cases?status=resolved&resolved_from=yesterday")
    assert (refused.status, refused.code) == (400, "invalid_request")


def test_another_teams_queue_is_forbidden_except_to_admins(api: ApiClient, world: World) -> None:
    world.writes(Channel.MESSENGER, "psid-9", account=BILLING_ACCOUNT)
    refused = api.get("/queues/billing/cases", agent="alice", teams=("care",))
    assert (refused.status, refused.code) == (403, "forbidden_team")
    lead = api.get("/queues/billing/cases", agent="lena", teams=("care",), role="lead")
    assert (lead.status, lead.code) == (403, "forbidden_team")
    admin = api.get("/queues/billing/cases", agent="root", teams=(), role="admin")
    assert admin.status == 200
    assert len(admin.json["cases"]) == 1


@pytest.mark.parametrize(
    "query", ["colour=red", "limit=0", "limit=101", "limit=ten", "status=lost", "channel=fax", "limit=1&limit=2"]
)
def test_bad_query_parameters_are_refused_by_name(api: ApiClient, query: str) -> None:
    answer = api.get(f"/queues/care/cases?{query}")
    assert answer.status == 400
    assert answer.code == "invalid_request"
    assert query.split("=", maxsplit=1)[0] in answer.json["message"]


# --- a case and its thread -------------------------------------------------------------------------
def test_a_case_reads_with_its_thread_newest_first(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.MESSENGER, "psid-1", "My parcel never came 📦", at_ms=T0)
    world.clock.advance(minutes=3)
    assert api.post(case_path(case.case_id, "/notes"), {"text": "Courier says delivered"}).status == 200
    world.clock.advance(minutes=1)
    assert (
        api.post(case_path(case.case_id, "/replies"), {"text": "Sorry! Checking now."}, name="Alice Smith").status
        == 202
    )
    world.clock.advance(minutes=1)
    assert api.post(case_path(case.case_id, "/status"), {"status": "pending_customer"}).status == 200

    answer = api.get(case_path(case.case_id))

    assert answer.status == 200
    thread = answer.json["thread"]
    assert [e["kind"] for e in thread] == ["status_change", "outbound", "note", "inbound"]
    assert thread[3]["text"] == "My parcel never came 📦"
    assert thread[1]["text"] == "Sorry! Checking now.\n— Alice"
    assert thread[1]["delivery_state"] == "pending"
    assert thread[1]["details"] == {"mode": "private", "agent_name": "Alice Smith"}
    assert thread[0]["details"]["from"] == "open"
    assert thread[0]["details"]["to"] == "pending_customer"
    assert answer.json["thread_cursor"] is None  # the whole thread fits the first page
    assert answer.json["case"]["status"] == "pending_customer"
    assert answer.headers["ETag"] == f'"{answer.json["case"]["version"]}"'


def test_a_long_thread_pages_back_from_the_newest_entry(api: ApiClient, world: World) -> None:
    for n in range(7):
        case = world.writes(Channel.TELEGRAM, "tg-1", f"message {n}", at_ms=T0 + n * MINUTE)
    world.clock.advance(hours=1)

    first = api.get(case_path(case.case_id, "?limit=3"))
    texts = [[e["text"] for e in first.json["thread"]]]
    cursor = first.json["thread_cursor"]
    while cursor is not None:
        page = api.get(case_path(case.case_id, f"/thread?limit=3&cursor={cursor}"))
        assert page.status == 200
        texts.append([e["text"] for e in page.json["thread"]])
        cursor = page.json["next_cursor"]

    assert texts == [[f"message {n}" for n in numbers] for numbers in ([6, 5, 4], [3, 2, 1], [0])]
    newest = api.get(case_path(case.case_id, "/thread"))  # no cursor: the newest entries, 50 at most
    assert [e["text"] for e in newest.json["thread"]] == [f"message {n}" for n in range(6, -1, -1)]
    assert newest.json["next_cursor"] is None


def test_a_thread_cursor_is_bound_to_its_case_and_the_limit_to_100(api: ApiClient, world: World) -> None:
    mine = world.writes(Channel.TELEGRAM, "tg-1", "one", at_ms=T0)
    world.writes(Channel.TELEGRAM, "tg-1", "two", at_ms=T0 + MINUTE)
    other = world.writes(Channel.TELEGRAM, "tg-2", "three", at_ms=T0)
    cursor = api.get(case_path(mine.case_id, "?limit=1")).json["thread_cursor"]
    assert cursor is not None

    foreign = api.get(case_path(other.case_id, f"/thread?cursor={cursor}"))
    assert (foreign.status, foreign.code) == (400, "invalid_cursor")
    for query in ("?limit=101", "?limit=0", "?cursor=abc"):
        answer = api.get(case_path(mine.case_id, query))
        assert (answer.status, answer.code) == (400, "invalid_request"), query
    assert api.get(case_path(mine.case_id, "/thread?limit=101")).code == "invalid_request"
    assert api.get(case_path(mine.case_id, "/thread?cursor=abc")).code == "invalid_cursor"


def test_an_unknown_case_is_404(api: ApiClient) -> None:
    for case_id in ("01JGZ8Q5K2M3N4P5Q6R7S8T9V0", "not-a-case"):
        answer = api.get(case_path(case_id))
        assert (answer.status, answer.code) == (404, "case_not_found")


# --- claim, assign, release -----------------------------------------------------------------------
def test_claiming_makes_the_case_mine(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    answer = api.post(case_path(case.case_id, "/claim"))
    assert answer.status == 200
    assert answer.json["case"]["owner"] == "alice"
    assert answer.json["changed"] is True
    mine = api.get("/me/cases").json["cases"]
    assert [c["case_id"] for c in mine] == [case.case_id]
    again = api.post(case_path(case.case_id, "/claim"))
    assert again.json["changed"] is False


def test_a_claimed_case_cannot_be_claimed_by_a_colleague(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    api.post(case_path(case.case_id, "/claim"), agent="alice")
    answer = api.post(case_path(case.case_id, "/claim"), agent="bob")
    assert (answer.status, answer.code) == (409, "already_claimed")
    assert answer.json["current"]["owner"] == "alice"


def test_leads_assign_and_reassign_agents_cannot(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    api.post(case_path(case.case_id, "/claim"), agent="alice")
    refused = api.post(case_path(case.case_id, "/assign"), {"agent_id": "bob"}, agent="alice")
    assert (refused.status, refused.code) == (403, "forbidden_role")
    other_team = api.post(
        case_path(case.case_id, "/assign"), {"agent_id": "bob"}, agent="lena", teams=("billing",), role="lead"
    )
    assert (other_team.status, other_team.code) == (403, "forbidden_team")
    done = api.post(case_path(case.case_id, "/assign"), {"agent_id": "bob"}, agent="lena", role="lead")
    assert done.status == 200
    assert done.json["case"]["owner"] == "bob"
    audit = api.get(case_path(case.case_id, "/audit")).json["records"]
    assert audit[-1]["action"] == "assigned"
    assert audit[-1]["actor"] == "lena"
    assert audit[-1]["actor_role"] == "lead"
    assert audit[-1]["details"] == {"owner": "bob", "previous_owner": "alice"}


def test_an_agent_may_assign_an_unowned_case_to_themselves_only(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    answer = api.post(case_path(case.case_id, "/assign"), {"agent_id": "alice"}, agent="alice")
    assert answer.json["case"]["owner"] == "alice"


def test_release_is_for_the_owner_and_leads(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    api.post(case_path(case.case_id, "/claim"), agent="alice")
    refused = api.post(case_path(case.case_id, "/release"), agent="bob")
    assert (refused.status, refused.code) == (403, "not_case_owner")
    released = api.post(case_path(case.case_id, "/release"), agent="alice")
    assert released.json["case"]["owner"] is None
    assert api.get("/me/cases", agent="alice").json["cases"] == []
    assert api.get("/queues/care/cases?assignee=none").json["cases"][0]["case_id"] == case.case_id


def test_inactive_cases_cannot_be_claimed(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    api.post(case_path(case.case_id, "/status"), {"status": "resolved", "reason": "spam"})
    answer = api.post(case_path(case.case_id, "/claim"), agent="bob")
    assert (answer.status, answer.code) == (409, "case_not_active")
    assert answer.json["current"]["status"] == "resolved"


def test_a_claim_takes_no_body_fields(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    answer = api.post(case_path(case.case_id, "/claim"), {"owner": "bob"})
    assert (answer.status, answer.code) == (400, "invalid_request")


# --- status lifecycle ---------------------------------------------------------------------------------
def test_resolving_an_unanswered_case_needs_a_reason(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    refused = api.post(case_path(case.case_id, "/status"), {"status": "resolved"})
    assert (refused.status, refused.code) == (422, "reason_required")
    assert api.get(case_path(case.case_id)).json["case"]["status"] == "open"

    done = api.post(case_path(case.case_id, "/status"), {"status": "resolved", "reason": "spam"})

    assert done.status == 200
    assert done.json["case"]["status"] == "resolved"
    assert done.json["case"]["awaiting_reply_since"] is None
    assert done.json["case"]["resolved_at"] == "2026-01-01T09:00:00.000Z"
    assert done.json["entry"]["text"] == "spam"


def test_resolving_after_a_reply_needs_no_reason(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    api.post(case_path(case.case_id, "/replies"), {"text": "Done, refunded."})
    answer = api.post(case_path(case.case_id, "/status"), {"status": "resolved"})
    assert answer.status == 200, answer.json
    assert answer.json["case"]["awaiting_reply_since"] is not None  # the clock stops when the reply is sent


def test_waiting_for_the_customer_needs_their_message_answered(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    refused = api.post(case_path(case.case_id, "/status"), {"status": "pending_customer"})
    assert (refused.status, refused.code) == (422, "unanswered_customer_message")
    api.post(case_path(case.case_id, "/replies"), {"text": "Could you send your order number?"})
    assert api.post(case_path(case.case_id, "/status"), {"status": "pending_customer"}).status == 200


def test_a_closed_case_stays_closed(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    api.post(case_path(case.case_id, "/status"), {"status": "closed", "reason": "duplicate"})
    answer = api.post(case_path(case.case_id, "/status"), {"status": "open"})
    assert (answer.status, answer.code) == (409, "invalid_transition")
    assert answer.json["current"]["status"] == "closed"
    reply = api.post(case_path(case.case_id, "/replies"), {"text": "hello?"})
    assert (reply.status, reply.code) == (409, "case_not_active")


def test_reopening_a_resolved_case_counts(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    api.post(case_path(case.case_id, "/status"), {"status": "resolved", "reason": "answered by phone"})
    answer = api.post(case_path(case.case_id, "/status"), {"status": "open"})
    assert answer.json["case"]["status"] == "open"
    assert answer.json["case"]["reopen_count"] == 1
    assert answer.json["case"]["resolved_at"] is None


def test_setting_the_same_status_changes_nothing(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    answer = api.post(case_path(case.case_id, "/status"), {"status": "open"})
    assert answer.status == 200
    assert answer.json["changed"] is False
    assert answer.json["case"]["version"] == case.version


def test_a_colleagues_case_is_theirs_to_change_or_answer(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    api.post(case_path(case.case_id, "/claim"), agent="alice")
    status = api.post(case_path(case.case_id, "/status"), {"status": "pending_internal"}, agent="bob")
    assert (status.status, status.code) == (403, "not_case_owner")
    reply = api.post(case_path(case.case_id, "/replies"), {"text": "hi"}, agent="bob")
    assert (reply.status, reply.code) == (403, "not_case_owner")
    note = api.post(case_path(case.case_id, "/notes"), {"text": "I know this customer"}, agent="bob")
    assert note.status == 200
    lead = api.post(case_path(case.case_id, "/status"), {"status": "pending_internal"}, agent="lena", role="lead")
    assert lead.status == 200


# --- replies ------------------------------------------------------------------------------------------
def test_a_reply_is_stored_pending_and_queued_for_the_outbound_sender(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.MESSENGER, "psid-42", "Hello?")
    world.clock.advance(minutes=5)

    answer = api.post(case_path(case.case_id, "/replies"), {"text": "Hi Joe, on it."}, name="Alice Smith")

    assert answer.status == 202
    entry = answer.json["entry"]
    assert entry["kind"] == "outbound"
    assert entry["delivery_state"] == "pending"
    assert entry["entry_id"].startswith(f"{T0 + 5 * MINUTE:013d}#out-")
    assert answer.json["case"]["owner"] == "alice"  # replying claims an unowned case
    [message] = world.outbound_messages()
    request = OutboundRequest.from_json(json.dumps(message))
    assert request.case_id == case.case_id
    assert request.entry_id == entry["entry_id"]
    assert (request.channel, request.account_id, request.recipient_id) == (Channel.MESSENGER, "page-1", "psid-42")
    assert request.mode.value == "private"
    assert request.text == "Hi Joe, on it.\n— Alice"
    assert request.tag is None
    stored = world.store.thread(case.case_id)[-1]
    assert stored.delivery_state is DeliveryState.PENDING
    assert stored.author == "alice"


def test_a_public_post_is_answered_publicly_under_it(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.X_POST, "x-joe", "@AcmeCare my order is late!", handle="joe")
    answer = api.post(case_path(case.case_id, "/replies"), {"text": "Sorry to hear it!"})
    assert answer.status == 202
    [request] = world.outbound_messages()
    assert request["mode"] == "public"
    assert request["reply_to_id"] == "m1"
    assert request["recipient_id"] == "x-joe"
    assert answer.json["entry"]["public"] is True


def test_a_reply_must_fit_the_channel_with_its_signature(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.X_POST, "x-joe")
    answer = api.post(case_path(case.case_id, "/replies"), {"text": "x" * 275}, name="Alice Smith")
    assert (answer.status, answer.code) == (400, "text_too_long")
    assert "280" in answer.json["message"]
    assert world.outbound_messages() == []
    assert len(world.store.thread(case.case_id)) == 1


def test_move_to_private_invites_a_dm_and_waits_and_the_dm_joins_the_case(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.X_POST, "x-joe", "@AcmeCare worst service ever", handle="joe", name=None)
    answer = api.post(case_path(case.case_id, "/move-to-private"), {})
    assert answer.status == 202
    assert answer.json["case"]["status"] == "pending_customer"
    [request] = world.outbound_messages()
    assert request["mode"] == "public"
    assert request["channel"] == "x_post"
    assert request["text"].startswith("We're sorry about this")
    world.clock.advance(minutes=10)
    dm_case = world.writes(Channel.X_DM, "x-joe", "my order is 1234")
    assert dm_case.case_id == case.case_id
    assert dm_case.status is CaseStatus.OPEN


def test_move_to_private_needs_a_public_message(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    answer = api.post(case_path(case.case_id, "/move-to-private"))
    assert (answer.status, answer.code) == (422, "reply_not_possible")


def test_a_comment_can_be_answered_privately_for_seven_days(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.FACEBOOK_COMMENT, "fb-user-5", "Charged twice!", at_ms=T0)
    world.clock.advance(hours=24 * 6)
    answer = api.post(
        case_path(case.case_id, "/replies"), {"text": "DMing you now", "mode": "private_reply_to_comment"}
    )
    assert answer.status == 202
    [request] = world.outbound_messages()
    assert (request["mode"], request["recipient_id"], request["reply_to_id"]) == (
        "private_reply_to_comment",
        "fb-user-5",
        "m1",
    )
    world.clock.advance(hours=25)
    late = api.post(case_path(case.case_id, "/replies"), {"text": "DMing you now", "mode": "private_reply_to_comment"})
    assert (late.status, late.code) == (422, "outside_messaging_window")


def test_messenger_after_24_hours_needs_the_human_agent_tag(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.MESSENGER, "psid-1", at_ms=T0)
    world.clock.advance(hours=30)
    refused = api.post(case_path(case.case_id, "/replies"), {"text": "Sorry for the wait"})
    assert (refused.status, refused.code) == (422, "outside_messaging_window")
    assert "HUMAN_AGENT" in refused.json["message"]
    granted = api.put("/accounts/page-1/profile", {"human_agent_tag": True}, agent="root", role="admin")
    assert granted.status == 200
    answer = api.post(case_path(case.case_id, "/replies"), {"text": "Sorry for the wait"})
    assert answer.status == 202
    assert answer.json["entry"]["details"]["tag"] == "HUMAN_AGENT"
    [request] = world.outbound_messages()
    assert request["tag"] == "HUMAN_AGENT"


def test_whatsapp_after_24_hours_takes_only_a_template(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.WHATSAPP, "447700900123", at_ms=T0)
    world.clock.advance(hours=25)
    refused = api.post(case_path(case.case_id, "/replies"), {"text": "Hello again"})
    assert (refused.status, refused.code) == (422, "template_required")
    template = {"name": "order_update", "language": "en_GB", "components": [{"type": "body", "parameters": []}]}
    answer = api.post(case_path(case.case_id, "/replies"), {"template": template})
    assert answer.status == 202
    [request] = world.outbound_messages()
    assert request["template"] == template
    assert request["recipient_id"] == "447700900123"


def test_attachments_go_by_url_where_the_platform_takes_them(api: ApiClient, world: World) -> None:
    dm = world.writes(Channel.MESSENGER, "psid-1")
    picture = {"kind": "image", "url": "https://cdn.example.com/label.png"}
    assert api.post(case_path(dm.case_id, "/replies"), {"text": "Your label", "attachments": [picture]}).status == 202
    [request] = world.outbound_messages()
    assert request["attachments"] == [["image", "https://cdn.example.com/label.png"]]
    x_dm = world.writes(Channel.X_DM, "x-joe")
    refused = api.post(case_path(x_dm.case_id, "/replies"), {"text": "Your label", "attachments": [picture]})
    assert (refused.status, refused.code) == (422, "reply_not_possible")
    plain_http = {"kind": "image", "url": "http://cdn.example.com/label.png"}
    bad = api.post(case_path(dm.case_id, "/replies"), {"text": "x", "attachments": [plain_http]})
    assert (bad.status, bad.code) == (400, "invalid_request")


def test_a_private_reply_on_a_public_channel_is_refused_with_the_way_out(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.X_POST, "x-joe")
    answer = api.post(case_path(case.case_id, "/replies"), {"text": "hi", "mode": "private"})
    assert (answer.status, answer.code) == (422, "reply_not_possible")
    assert "x_dm" in answer.json["message"]


def test_canned_responses_fill_in_the_case(api: ApiClient, world: World) -> None:
    profile = {
        "brand_name": "Acme",
        "canned_responses": [
            {"id": "late", "title": "Late order", "text": "Hi {customer_name}, sorry! Ref {case_id}. {brand_name}"},
            {"id": "handle", "title": "By handle", "text": "Thanks {customer_handle}"},
        ],
    }
    assert api.put("/accounts/tg-1/profile", profile, agent="root", role="admin").status == 200
    case = world.writes(Channel.TELEGRAM, "tg-1", name="Joe Bloggs")

    listed = api.get(case_path(case.case_id, "/canned-responses")).json["canned_responses"]
    assert listed[0]["text"] == f"Hi Joe Bloggs, sorry! Ref {case.case_id}. Acme"
    assert listed[1]["text"] is None
    assert "customer_handle" in listed[1]["unavailable"]

    answer = api.post(case_path(case.case_id, "/replies"), {"canned_response_id": "late"}, name="Alice Smith")
    assert answer.status == 202
    assert answer.json["entry"]["text"] == f"Hi Joe Bloggs, sorry! Ref {case.case_id}. Acme\n— Alice"
    unavailable = api.post(case_path(case.case_id, "/replies"), {"canned_response_id": "handle"})
    assert (unavailable.status, unavailable.code) == (422, "placeholder_unavailable")
    missing = api.post(case_path(case.case_id, "/replies"), {"canned_response_id": "nope"})
    assert (missing.status, missing.code) == (404, "canned_response_not_found")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "hi", "colour": "red"}, "invalid_request"),
        ({"text": "hi", "canned_response_id": "late"}, "invalid_request"),
        ({}, "invalid_request"),
        ({"text": "   "}, "invalid_request"),
        ({"text": 42}, "invalid_request"),
        ({"text": "hi", "mode": "shout"}, "invalid_request"),
        ({"text": "x" * 10_001}, "invalid_request"),
        ({"text": "hi", "reply_to": "nonsense"}, "invalid_request"),
    ],
)
def test_reply_bodies_are_validated_and_nothing_is_stored(api: ApiClient, world: World, body: Any, code: str) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    answer = api.post(case_path(case.case_id, "/replies"), body)
    assert (answer.status, answer.code) == (400, code)
    assert world.outbound_messages() == []
    assert len(world.store.thread(case.case_id)) == 1


def test_malformed_oversized_and_non_json_bodies(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    path = case_path(case.case_id, "/notes")
    assert api.post(path, raw=b"{not json").code == "invalid_request"
    assert api.post(path, raw=b"[1, 2]").code == "invalid_request"
    too_big = api.post(path, raw=json.dumps({"text": "x" * 70_000}).encode())
    assert (too_big.status, too_big.code) == (413, "request_too_large")
    form = api.post(path, raw=b"text=hi", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (form.status, form.code) == (415, "unsupported_media_type")


# --- idempotency --------------------------------------------------------------------------------------
def test_a_retried_reply_is_stored_once_and_sent_once(api: ApiClient, world: World) -> None:
    from socialcare.outbound.sender import Outcome

    from tests.outbound_support import FakeTransport, x_dm_sent

    case = world.writes(Channel.X_DM, "x-joe")
    key = {"Idempotency-Key": "reply-7f3a"}
    first = api.post(case_path(case.case_id, "/replies"), {"text": "On it"}, headers=key)
    second = api.post(case_path(case.case_id, "/replies"), {"text": "On it"}, headers=key)
    assert (first.status, second.status) == (202, 202)
    assert second.headers["Idempotent-Replayed"] == "true"
    entry_id = second.json["entry"]["entry_id"]
    assert entry_id == first.json["entry"]["entry_id"]
    queued = world.outbound_messages()
    assert [m["entry_id"] for m in queued] == [entry_id] * 2  # still pending: the retry queued it again
    platform = FakeTransport(default=x_dm_sent())
    sender = _sender(world, world.aws.dynamodb, platform)
    outcomes = [sender.deliver(OutboundRequest.from_json(json.dumps(m))).outcome for m in queued]
    assert outcomes == [Outcome.SENT, Outcome.ALREADY_DONE]
    assert len(platform.requests) == 1  # the customer gets it once
    assert api.post(case_path(case.case_id, "/replies"), {"text": "On it"}, headers=key).status == 202
    assert world.outbound_messages() == []  # sent: a retry queues nothing
    assert [e.kind.value for e in world.store.thread(case.case_id)] == ["inbound", "outbound"]
    reused = api.post(case_path(case.case_id, "/replies"), {"text": "Something else"}, headers=key)
    assert (reused.status, reused.code) == (422, "idempotency_key_reused")


def test_a_retried_note_is_stored_once(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    key = {"Idempotency-Key": "note-1"}
    api.post(case_path(case.case_id, "/notes"), {"text": "VIP"}, headers=key)
    api.post(case_path(case.case_id, "/notes"), {"text": "VIP"}, headers=key)
    assert [e.kind.value for e in world.store.thread(case.case_id)] == ["inbound", "note"]


class FlakyQueue:
    """An SQS client whose send_message fails while ``down`` (the outbound queue unreachable)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.down = True

    def send_message(self, **kwargs: Any) -> Any:
        if self.down:
            raise ConnectionError("could not connect to the endpoint URL")
        return self.real.send_message(**kwargs)


def test_a_reply_that_could_not_be_queued_is_queued_by_its_retry(world: World, wiring: Any) -> None:
    flaky = FlakyQueue(world.aws.sqs)
    wiring.wire(clients=world_clients(world, sqs=flaky), clock=world.clock)
    api = ApiClient(app_module().app)
    case = world.writes(Channel.TELEGRAM, "tg-1")
    key = {"Idempotency-Key": "k-1"}

    failed = api.post(case_path(case.case_id, "/replies"), {"text": "On it"}, headers=key)
    assert (failed.status, failed.code) == (503, "reply_not_queued")
    assert world.outbound_messages() == []
    assert world.store.thread(case.case_id)[-1].delivery_state is DeliveryState.PENDING

    flaky.down = False
    retried = api.post(case_path(case.case_id, "/replies"), {"text": "On it"}, headers=key)
    assert retried.status == 202
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert len(world.outbound_messages()) == 1
    api.post(case_path(case.case_id, "/replies"), {"text": "On it"}, headers=key)
    assert len(world.outbound_messages()) == 1  # still pending: queued again (the sender sends it once)


def test_without_a_key_an_unqueued_reply_is_marked_failed(world: World, wiring: Any) -> None:
    wiring.wire(clients=world_clients(world, sqs=FlakyQueue(world.aws.sqs)), clock=world.clock)
    api = ApiClient(app_module().app)
    case = world.writes(Channel.TELEGRAM, "tg-1")
    answer = api.post(case_path(case.case_id, "/replies"), {"text": "On it"})
    assert (answer.status, answer.code) == (503, "reply_not_queued")
    entry = world.store.thread(case.case_id)[-1]
    assert entry.delivery_state is DeliveryState.FAILED
    assert "not queued" in (entry.delivery_error or "")


# --- concurrency --------------------------------------------------------------------------------------
class RacingDynamoDB:
    """A DynamoDB client that lets a competing request finish just before this one's transaction."""

    def __init__(self, real: Any, competitor: Callable[[], Any]) -> None:
        self._real = real
        self._competitor: Callable[[], Any] | None = competitor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self._competitor is not None:
            competitor, self._competitor = self._competitor, None
            competitor()
        return self._real.transact_write_items(**kwargs)


def test_two_agents_claiming_at_once_the_loser_gets_409_with_the_winner(world: World, wiring: Any) -> None:
    from socialcare.agents.identity import caller_from_claims

    from tests.agent_api_support import claims_for

    case = world.writes(Channel.TELEGRAM, "tg-1")
    bob_elsewhere = build_service(world)  # another Lambda instance serving bob at the same moment
    racing = RacingDynamoDB(
        world.aws.dynamodb, lambda: bob_elsewhere.claim(caller_from_claims(claims_for("bob")), case.case_id)
    )
    wiring.wire(clients=world_clients(world, dynamodb=racing), clock=world.clock)
    api = ApiClient(app_module().app)

    answer = api.post(case_path(case.case_id, "/claim"), agent="alice")

    assert (answer.status, answer.code) == (409, "case_version_conflict")
    assert answer.json["current"]["owner"] == "bob"
    assert answer.headers["ETag"] == f'"{answer.json["current"]["version"]}"'
    audit = api.get(case_path(case.case_id, "/audit")).json["records"]
    assert [(r["action"], r["actor"]) for r in audit] == [("claimed", "bob")]


def test_a_reply_racing_a_new_customer_message_is_refused_whole(world: World, wiring: Any) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1", "Hello?")
    racing = RacingDynamoDB(world.aws.dynamodb, lambda: world.writes(Channel.TELEGRAM, "tg-1", "Actually, cancel it"))
    wiring.wire(clients=world_clients(world, dynamodb=racing), clock=world.clock)
    api = ApiClient(app_module().app)

    answer = api.post(case_path(case.case_id, "/replies"), {"text": "Shipping it now!"})

    assert (answer.status, answer.code) == (409, "case_version_conflict")
    assert answer.json["current"]["message_count"] == 2
    assert [e.kind.value for e in world.store.thread(case.case_id)] == ["inbound", "inbound"]
    assert world.outbound_messages() == []


def test_a_retry_racing_its_own_first_attempt_stores_the_reply_once(world: World, wiring: Any) -> None:
    from socialcare.agents.commands import ReplyCommand
    from socialcare.agents.identity import caller_from_claims

    from tests.agent_api_support import claims_for

    case = world.writes(Channel.TELEGRAM, "tg-1")
    first_attempt = build_service(world)  # the first request, still running on another instance
    racing = RacingDynamoDB(
        world.aws.dynamodb,
        lambda: first_attempt.reply(
            caller_from_claims(claims_for("alice")), case.case_id, ReplyCommand(text="On it"), idempotency_key="k-9"
        ),
    )
    wiring.wire(clients=world_clients(world, dynamodb=racing), clock=world.clock)
    api = ApiClient(app_module().app)

    retry = api.post(case_path(case.case_id, "/replies"), {"text": "On it"}, headers={"Idempotency-Key": "k-9"})

    assert retry.status == 202
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert [e.kind.value for e in world.store.thread(case.case_id)] == ["inbound", "outbound"]
    assert len(world.outbound_messages()) == 1


def test_a_status_change_is_not_undone_by_the_sender_recording_a_reply(world: World, wiring: Any) -> None:
    """The agent replies and resolves at once. The outbound sender read the case before the status
    change and records the reply's delivery after it: the status change moved the case to a new
    version, so the sender's stale write is refused and made again on the resolved case."""
    wiring.wire(clients=world_clients(world), clock=world.clock)
    api = ApiClient(app_module().app)
    case = world.writes(Channel.X_DM, "x-joe")
    assert api.post(case_path(case.case_id, "/replies"), {"text": "Refunded, sorry!"}).status == 202
    [queued] = world.outbound_messages()
    resolved: list[int] = []
    racing = RacingDynamoDB(
        world.aws.dynamodb,
        lambda: resolved.append(api.post(case_path(case.case_id, "/status"), {"status": "resolved"}).status),
    )

    _sender(world, racing).deliver(OutboundRequest.from_json(json.dumps(queued)))

    assert resolved == [200]
    final = world.store.get_case(case.case_id)
    assert final.status is CaseStatus.RESOLVED
    assert final.first_response_at_ms is not None
    assert [(e.kind.value, e.delivery_state) for e in world.store.thread(case.case_id)][1:] == [
        ("outbound", DeliveryState.SENT),
        ("status_change", None),
    ]


def _sender(world: World, dynamodb: Any, platform: Any = None) -> Any:
    """The outbound sender over ``dynamodb``, X (``platform``, by default a fake) accepting every DM."""
    from socialcare.aws.case_store import CaseStore
    from socialcare.aws.outbound_store import OutboundStore
    from socialcare.outbound.clients import ReplyApiUrls, reply_clients
    from socialcare.outbound.sender import OutboundSender
    from socialcare.platforms.credentials import PlatformCredentials

    from tests.outbound_support import FakeTransport, x_dm_sent

    credentials = PlatformCredentials.from_dict({"x": {"consumer_secrets": ["s"], "user_tokens": {"x-1": "t"}}})
    return OutboundSender(
        cases=CaseStore(world.table, client=dynamodb),
        outbound=OutboundStore(world.table, client=dynamodb),
        clients=reply_clients(ReplyApiUrls("https://graph.test", "https://x.test", "https://tg.test")),
        transport=platform or FakeTransport(default=x_dm_sent()),
        credentials=lambda: credentials,
        clock=world.clock,
    )


@pytest.mark.parametrize("pinned", [False, True], ids=["no If-Match", "If-Match"])
def test_resolving_while_the_reply_is_recorded_as_sent_is_decided_on_the_new_version(
    world: World, wiring: Any, pinned: bool
) -> None:
    """Reply, then resolve at once: the outbound sender records the reply's delivery (a new case version)
    between the status change's read and its write. Nobody the agent should hear from acted, so the
    change is decided again on the new version instead of failing — unless the agent pinned the
    version they looked at with If-Match."""
    wiring.wire(clients=world_clients(world), clock=world.clock)
    api = ApiClient(app_module().app)
    case = world.writes(Channel.X_DM, "x-joe")
    replied = api.post(case_path(case.case_id, "/replies"), {"text": "Refunded, sorry!"})
    [queued] = world.outbound_messages()
    sender = _sender(world, world.aws.dynamodb)
    racing = RacingDynamoDB(world.aws.dynamodb, lambda: sender.deliver(OutboundRequest.from_json(json.dumps(queued))))
    wiring.wire(clients=world_clients(world, dynamodb=racing), clock=world.clock)
    headers = {"If-Match": replied.headers["ETag"]} if pinned else {}

    answer = api.post(case_path(case.case_id, "/status"), {"status": "resolved"}, headers=headers)

    final = world.store.get_case(case.case_id)
    assert final.first_response_at_ms is not None  # the sender recorded the delivery meanwhile
    if pinned:
        assert (answer.status, answer.code) == (409, "case_version_conflict")
        assert final.status is CaseStatus.OPEN
    else:
        assert answer.status == 200, answer.json
        assert answer.json["case"]["status"] == "resolved"
        assert answer.json["case"]["version"] == final.version
        assert final.status is CaseStatus.RESOLVED
        audit = api.get(case_path(case.case_id, "/audit")).json["records"]
        assert [r["action"] for r in audit] == ["replied", "status_changed"]


def test_a_colleagues_note_in_between_still_gives_409(world: World, wiring: Any) -> None:
    """A person acted between the read and the write (a note, which changes no case field an agent
    decides on): the agent hears of it with 409 instead of a decision made over it."""
    case = world.writes(Channel.TELEGRAM, "tg-1")
    bob_elsewhere = build_service(world)
    from socialcare.agents.commands import NoteCommand
    from socialcare.agents.identity import caller_from_claims

    from tests.agent_api_support import claims_for

    racing = RacingDynamoDB(
        world.aws.dynamodb,
        lambda: bob_elsewhere.add_note(
            caller_from_claims(claims_for("bob")), case.case_id, NoteCommand("Careful: a journalist")
        ),
    )
    wiring.wire(clients=world_clients(world, dynamodb=racing), clock=world.clock)
    api = ApiClient(app_module().app)

    answer = api.post(case_path(case.case_id, "/claim"), agent="alice")

    assert (answer.status, answer.code) == (409, "case_version_conflict")
    assert answer.json["current"]["owner"] is None


def test_if_match_acts_only_on_the_version_seen(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    seen = api.get(case_path(case.case_id)).headers["ETag"]
    world.writes(Channel.TELEGRAM, "tg-1", "one more thing")
    stale = api.post(case_path(case.case_id, "/replies"), {"text": "Done"}, headers={"If-Match": seen})
    assert (stale.status, stale.code) == (409, "case_version_conflict")
    assert stale.json["current"]["message_count"] == 2
    fresh = api.post(case_path(case.case_id, "/replies"), {"text": "Done"}, headers={"If-Match": stale.headers["ETag"]})
    assert fresh.status == 202
    bad = api.post(case_path(case.case_id, "/notes"), {"text": "x"}, headers={"If-Match": "yesterday"})
    assert (bad.status, bad.code) == (400, "invalid_request")


# --- notes and the audit trail -----------------------------------------------------------------------
def test_notes_are_never_sent(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    answer = api.post(case_path(case.case_id, "/notes"), {"text": "Customer is a journalist — careful"})
    assert answer.status == 200
    assert answer.json["entry"]["kind"] == "note"
    assert answer.json["entry"]["delivery_state"] is None
    assert world.outbound_messages() == []


def test_the_audit_trail_says_who_did_what_when(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-1")
    api.post(case_path(case.case_id, "/claim"), agent="alice")
    world.clock.advance(minutes=1)
    api.post(case_path(case.case_id, "/replies"), {"text": "Hi"}, agent="alice")
    world.clock.advance(minutes=1)
    api.post(case_path(case.case_id, "/status"), {"status": "resolved"}, agent="alice")
    world.clock.advance(minutes=1)
    api.post(case_path(case.case_id, "/notes"), {"text": "all good"}, agent="bob")

    first = api.get(case_path(case.case_id, "/audit?limit=3"), agent="bob").json
    rest = api.get(case_path(case.case_id, f"/audit?limit=3&cursor={first['next_cursor']}"), agent="bob").json

    records = first["records"] + rest["records"]
    assert [(r["action"], r["actor"]) for r in records] == [
        ("claimed", "alice"),
        ("replied", "alice"),
        ("status_changed", "alice"),
        ("note_added", "bob"),
    ]
    assert [r["at"] for r in records] == [
        "2026-01-01T09:00:00.000Z",
        "2026-01-01T09:01:00.000Z",
        "2026-01-01T09:02:00.000Z",
        "2026-01-01T09:03:00.000Z",
    ]
    assert records[2]["details"] == {"from": "open", "to": "resolved"}
    assert rest["next_cursor"] is None


# --- brand profiles -----------------------------------------------------------------------------------
def test_admins_manage_profiles_and_replies_are_signed_as_the_brand_says(api: ApiClient, world: World) -> None:
    default = api.get("/accounts/tg-1/profile", agent="root", role="admin")
    assert default.json["signature_style"] == "first_name"
    assert default.json["updated_at"] is None
    changed = api.put("/accounts/tg-1/profile", {"signature_style": "initials"}, agent="root", role="admin")
    assert changed.json["signature_style"] == "initials"
    assert changed.json["updated_by"] == "root"
    case = world.writes(Channel.TELEGRAM, "tg-1")
    answer = api.post(case_path(case.case_id, "/replies"), {"text": "Sorted"}, name="Alice Beth Smith")
    assert answer.json["entry"]["text"] == "Sorted ^AS"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"canned_responses": [{"id": "x", "text": "Hi {customer_nmae}"}]}, 422, "unknown_placeholder"),
        ({"canned_responses": [{"id": "x", "text": "Hi {customer_name"}]}, 422, "unknown_placeholder"),
        ({"signature_style": "emoji"}, 400, "invalid_request"),
        ({"colour": "red"}, 400, "invalid_request"),
        ({"canned_responses": [{"id": "x", "text": "a"}, {"id": "x", "text": "b"}]}, 400, "invalid_request"),
    ],
)
def test_bad_profiles_are_refused(api: ApiClient, body: Any, status: int, code: str) -> None:
    answer = api.put("/accounts/tg-1/profile", body, agent="root", role="admin")
    assert (answer.status, answer.code) == (status, code)
    assert api.get("/accounts/tg-1/profile", agent="root", role="admin").json["canned_responses"] == []


def test_only_admins_touch_profiles(api: ApiClient) -> None:
    for role in ("agent", "lead"):
        answer = api.get("/accounts/tg-1/profile", role=role)
        assert (answer.status, answer.code) == (403, "forbidden_role")


def test_literal_braces_in_canned_responses(api: ApiClient, world: World) -> None:
    body = {"canned_responses": [{"id": "json", "text": "Send {{order}} as text, {customer_name}"}]}
    assert api.put("/accounts/tg-1/profile", body, agent="root", role="admin").status == 200
    case = world.writes(Channel.TELEGRAM, "tg-1", name="Joe")
    listed = api.get(case_path(case.case_id, "/canned-responses")).json["canned_responses"]
    assert listed[0]["text"] == "Send {order} as text, Joe"


def test_the_lead_of_another_team_sees_nothing_of_a_case(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.MESSENGER, "psid-3", account=BILLING_ACCOUNT)
    answer = api.get(case_path(case.case_id), agent="lena", role="lead", teams=("care",))
    assert (answer.status, answer.code) == (403, "forbidden_team")
    billing = api.get(case_path(case.case_id), agent="bill", teams=("billing",))
    assert billing.status == 200
    assert billing.json["case"]["team"] == "billing"
