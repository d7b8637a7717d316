"""Triage through the agent API (Chalice's test client on moto, every answer held to openapi.yaml): the
routing rules (admins change them, versioned, audited, If-Match, refused naming the field), re-routing a
case by hand, marking and restoring it through the team's review queue (keyed reads, a page at a time),
and asking for a customer's comment to be hidden."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.config_store import ConfigStore
from socialcare.model.events import Channel

from tests.agent_api_support import (
    MINUTE,
    ApiClient,
    World,
    app_module,
    configured_wiring,
    world_clients,
)
from tests.routing_support import CONFIG

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported in local mode"),
]

ADMIN: dict[str, Any] = {"agent": "root", "role": "admin"}
LEAD: dict[str, Any] = {"agent": "lena", "role": "lead", "teams": ("care", "pr")}
ALICE: dict[str, Any] = {"agent": "alice", "role": "agent"}
BOB: dict[str, Any] = {"agent": "bob", "role": "agent"}
RULES = {key: value for key, value in CONFIG.items() if key != "version"}  # what an admin PUTs
SPAM = "cheap pills http://a.example http://b.example http://c.example"


class RecordingDynamoDB:
    """The test's DynamoDB client, recording each Query the API makes (to hold reads to their keys)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.queries: list[dict[str, Any]] = []

    def query(self, **kwargs: Any) -> Any:
        self.queries.append(kwargs)
        return self._client.query(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def dynamodb(world: World) -> RecordingDynamoDB:
    return RecordingDynamoDB(world.aws.dynamodb)


@pytest.fixture
def api(world: World, dynamodb: RecordingDynamoDB, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiClient]:
    wiring = configured_wiring(world, monkeypatch)
    wiring.wire(clients=world_clients(world, dynamodb=dynamodb), clock=world.clock)
    yield ApiClient(app_module().app)
    wiring.wire()


def if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def audit(api: ApiClient, case_id: str) -> list[tuple[str, str, dict[str, str]]]:
    records = api.get(f"/cases/{case_id}/audit", **LEAD).json["records"]
    return [(r["action"], r["actor"], r["details"]) for r in records]


def queue_ids(api: ApiClient, path: str, **who: Any) -> list[str]:
    return [case["case_id"] for case in api.get(path, **(who or LEAD)).json["cases"]]


# --- the routing rules ------------------------------------------------------------------------------
def test_agents_get_403_and_leads_only_read_the_routing_rules(api: ApiClient) -> None:
    for method in ("GET", "PUT"):
        refused = api.call(method, "/admin/routing/rules", body=RULES if method == "PUT" else None, **ALICE)
        assert (refused.status, refused.code) == (403, "forbidden_role")
    assert api.put("/admin/routing/rules", RULES, **LEAD).status == 403
    shown = api.get("/admin/routing/rules", **LEAD)
    assert (shown.status, shown.headers["ETag"], shown.json["source"], shown.json["rules"]) == (200, '"0"', "none", [])


def test_while_none_are_stored_the_deployed_rules_are_shown(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(c.ENV_ROUTING_RULES, json.dumps(CONFIG))
    shown = api.get("/admin/routing/rules", **ADMIN).json
    assert (shown["version"], shown["source"]) == (0, "deployed")
    assert [rule["name"] for rule in shown["rules"]][:2] == ["press-account", "journalists"]


def test_an_admin_replaces_the_rules_as_the_next_audited_version(api: ApiClient, world: World) -> None:
    first = api.put("/admin/routing/rules", RULES, headers=if_match(0), **ADMIN)
    assert first.status == 200, first.json
    assert (first.json["version"], first.headers["ETag"], first.json["source"]) == (1, '"1"', "stored")
    assert first.json["updated_by"] == "root"
    assert first.json["lists"]["journalists"] == ["x:1234567", "x:@jdoe"]  # stored normalised

    stale = api.put("/admin/routing/rules", RULES, headers=if_match(0), **ADMIN)
    assert (stale.status, stale.code, stale.headers["ETag"]) == (409, "config_version_conflict", '"1"')

    read = api.get("/admin/routing/rules", **LEAD).json
    edited = {"version": read["version"], "lists": read["lists"], "rules": read["rules"][1:]}  # GET, edit, PUT back
    second = api.put("/admin/routing/rules", edited, **ADMIN)
    assert second.status == 200, second.json
    assert second.json["version"] == 2
    assert second.json["rules"][0]["name"] == "journalists"
    records = ConfigStore(world.table, client=world.aws.dynamodb).config_audit(limit=10)
    assert sorted((r.subject, r.action.value, r.actor, r.details["version"]) for r in records) == [
        ("routing/rules", "routing_rules_updated", "root", "1"),
        ("routing/rules", "routing_rules_updated", "root", "2"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rules": [{"name": "x", "when": {}, "then": {"priority": "asap"}}]}, "rules[0].then.priority"),
        ({"rules": [{"name": "x", "when": {"customer_in": ["press"]}, "then": {"team": "pr"}}]}, "rules[0].when.customer_in[0]"),
        ({"rules": [{"name": "x", "when": {"languages": ["english"]}, "then": {"team": "pr"}}]}, "rules[0].when.languages[0]"),
        ({"lists": {"journalists": ["someone"]}}, "lists.journalists[0]"),
        ({"colour": "red"}, "routing rules.colour"),
    ],
)  # fmt: skip
def test_invalid_rules_are_refused_naming_the_field_and_nothing_is_stored(
    api: ApiClient, world: World, change: dict[str, Any], field: str
) -> None:
    answer = api.put("/admin/routing/rules", {**RULES, **change}, **ADMIN)
    assert (answer.status, answer.code, answer.json["field"]) == (400, "invalid_routing_rules", field)
    assert answer.json["reason"]
    assert api.get("/admin/routing/rules", **ADMIN).json["version"] == 0
    assert ConfigStore(world.table, client=world.aws.dynamodb).config_audit(limit=10) == []


# --- re-routing by hand -----------------------------------------------------------------------------
def test_a_lead_reroutes_a_case_to_pr_it_moves_queues_and_the_audit_says_who_and_why(
    api: ApiClient, world: World
) -> None:
    case = world.writes(Channel.X_POST, "nina", "Journalist here: comment on the recall?", handle="nina_reports")
    api.post(f"/cases/{case.case_id}/claim", {}, **ALICE)
    answer = api.post(
        f"/cases/{case.case_id}/route",
        {"team": "pr", "priority": "high", "tags": ["press"], "reason": "a journalist; press office answers"},
        **LEAD,
    )
    assert answer.status == 200, answer.json
    moved = answer.json["case"]
    assert (moved["team"], moved["priority"], moved["owner"]) == ("pr", "high", None)
    routing = moved["routing"]
    assert (routing["rule"], routing["routed_by"], routing["overridden_rule"]) == ("manual", "lena", "default")
    assert routing["reasons"] == ["a journalist; press office answers"]
    assert routing["tags"] == ["press"]
    assert routing["routed_at"] is not None
    assert case.case_id not in queue_ids(api, "/queues/care/cases")
    assert queue_ids(api, "/queues/pr/cases") == [case.case_id]
    assert moved["response_due_at"] is not None  # still due: by the channel's target
    action, actor, details = audit(api, case.case_id)[-1]
    assert (action, actor) == ("routed", "lena")
    assert details == {
        "from_team": "care",
        "to_team": "pr",
        "from_priority": "high",
        "to_priority": "high",
        "tags": "press",
        "reason": "a journalist; press office answers",
        "previous_owner": "alice",
    }
    again = api.post(f"/cases/{case.case_id}/route", {"team": "pr", "priority": "high", "reason": "again"}, **LEAD)
    assert (again.status, again.json["changed"]) == (200, False)


def test_an_agent_reroutes_only_a_case_they_own(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.MESSENGER, "psid-1", "my parcel is late, it is urgent")
    body = {"team": "care", "priority": "urgent", "reason": "a medical parcel"}
    refused = api.post(f"/cases/{case.case_id}/route", body, **ALICE)
    assert (refused.status, refused.code) == (403, "not_case_owner")
    api.post(f"/cases/{case.case_id}/claim", {}, **ALICE)
    assert api.post(f"/cases/{case.case_id}/route", body, **BOB).status == 403
    done = api.post(f"/cases/{case.case_id}/route", body, **ALICE)
    assert done.status == 200, done.json
    assert (done.json["case"]["priority"], done.json["case"]["owner"]) == ("urgent", "alice")
    for bad, says in (
        ({"team": "Care!", "priority": "high", "reason": "x"}, "team"),
        ({"team": "care", "priority": "asap", "reason": "x"}, "priority"),
        ({"team": "care", "priority": "high"}, "reason"),
        ({"team": "care", "priority": "high", "reason": "x", "tags": ["Not A Tag"]}, "tags[0]"),
    ):
        answer = api.post(f"/cases/{case.case_id}/route", bad, **ALICE)
        assert (answer.status, answer.code) == (400, "invalid_request")
        assert says in answer.json["message"]
    assert [a for a, _, _ in audit(api, case.case_id)] == ["claimed", "routed"]


# --- marking, the review queue, restoring ------------------------------------------------------------
def test_a_marked_case_leaves_the_queue_for_the_review_queue_with_no_clock(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.X_POST, "loud", "your brand is a joke and so are you")
    before = api.get(f"/cases/{case.case_id}", **ALICE).json["case"]
    assert before["response_due_at"] is not None
    assert before["case_clock"]["breach_at"] is not None
    answer = api.post(f"/cases/{case.case_id}/mark", {"kind": "troll", "reason": "insults, no question"}, **ALICE)
    assert answer.status == 200, answer.json
    marked = answer.json["case"]
    assert marked["mark"]["kind"] == "troll"
    assert (marked["mark"]["by"], marked["mark"]["reasons"]) == ("alice", ["insults, no question"])
    assert (marked["response_due_at"], marked["overdue"], marked["case_clock"]["breach_at"]) == (None, False, None)
    assert marked["automated_messages_allowed"] is False
    assert case.case_id not in queue_ids(api, "/queues/care/cases")
    assert queue_ids(api, "/queues/care/review") == [case.case_id]
    assert audit(api, case.case_id)[-1] == ("marked", "alice", {"kind": "troll", "reason": "insults, no question"})
    same = api.post(f"/cases/{case.case_id}/mark", {"kind": "troll", "reason": "again"}, **BOB)
    assert (same.status, same.json["changed"]) == (200, False)
    bad = api.post(f"/cases/{case.case_id}/mark", {"kind": "rude", "reason": "x"}, **ALICE)
    assert (bad.status, bad.code) == (400, "invalid_request")


def test_one_action_restores_a_marked_case_and_its_clock_starts_from_the_restore(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.X_POST, "spammer", SPAM)
    assert queue_ids(api, "/queues/care/review") == [case.case_id]  # ingest set it aside
    world.clock.advance(hours=2)
    again = world.writes(Channel.X_POST, "spammer", "still there?")
    assert again.case_id == case.case_id
    assert again.response_due_at_ms is None  # its new message starts no clock while it is marked
    world.clock.advance(minutes=10)
    restored_at = world.clock.now_ms
    answer = api.post(f"/cases/{case.case_id}/restore", {"reason": "a real customer after all"}, **ALICE)
    assert answer.status == 200, answer.json
    back = answer.json["case"]
    assert (back["mark"], back["restored_by"], back["automated_messages_allowed"]) == (None, "alice", True)
    assert back["awaiting_reply_since"] == iso(restored_at)
    assert back["response_due_at"] == iso(restored_at + 60 * MINUTE)  # x_post: 60 minutes from the restore
    assert back["case_clock"]["breach_at"] == iso(restored_at + 60 * MINUTE)
    assert queue_ids(api, "/queues/care/cases") == [case.case_id]
    assert queue_ids(api, "/queues/care/review") == []
    action, actor, details = audit(api, case.case_id)[-1]
    assert (action, actor, details["kind"], details["reason"]) == (
        "restored",
        "alice",
        "spam",
        "a real customer after all",
    )
    assert details["marked_for"] == "link_flood x3"  # what ingest's rules found
    world.writes(Channel.X_POST, "spammer", SPAM)  # the same again: a person said it is fine
    assert api.get(f"/cases/{case.case_id}", **ALICE).json["case"]["mark"] is None
    nothing = api.post(f"/cases/{case.case_id}/restore", {}, **ALICE)
    assert (nothing.status, nothing.json["changed"]) == (200, False)


def test_a_sensitive_case_is_never_marked(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.MESSENGER, "psid-2", "my father passed away last week, please close his account")
    assert case.team == "trained-care"
    answer = api.post(f"/cases/{case.case_id}/mark", {"kind": "spam", "reason": "x"}, **ADMIN)
    assert (answer.status, answer.code) == (422, "case_is_sensitive")
    assert "never set aside" in answer.json["message"]


def test_the_review_queue_is_read_by_its_key_a_page_at_a_time(
    api: ApiClient, world: World, dynamodb: RecordingDynamoDB
) -> None:
    marked = []
    for n in range(3):
        world.clock.advance(minutes=1)
        marked.append(world.writes(Channel.X_POST, f"spam-{n}", SPAM).case_id)
    world.writes(Channel.X_POST, "fine", "where is my order?")
    dynamodb.queries.clear()
    first = api.get("/queues/care/review", **LEAD)
    page = api.get("/queues/care/review?limit=2", **LEAD).json
    assert [k["case_id"] for k in page["cases"]] == marked[:2]  # the oldest first
    rest = api.get(f"/queues/care/review?limit=2&cursor={page['next_cursor']}", **LEAD).json
    assert ([k["case_id"] for k in rest["cases"]], rest["next_cursor"]) == (marked[2:], None)
    assert [k["mark"]["kind"] for k in first.json["cases"]] == ["spam"] * 3
    # Besides the pages, each list reads the active crises (one keyed Query of their partition).
    pages = [q for q in dynamodb.queries if "IndexName" in q]
    assert len(dynamodb.queries) - len(pages) == 3
    partitions = {q["ExpressionAttributeValues"][":pk"]["S"] for q in pages}
    assert partitions <= {f"REVIEW#care#{shard:02d}" for shard in range(16)}  # the review queue's shards
    assert {q["IndexName"] for q in pages} == {c.QUEUE_INDEX}
    assert max(q["Limit"] for q in pages[len(pages) - 1 :]) <= 2  # never more than a page
    wrong = api.get(f"/queues/care/cases?cursor={page['next_cursor']}", **LEAD)
    assert (wrong.status, wrong.code) == (400, "invalid_cursor")
    assert api.get("/queues/billing/review", **ALICE).status == 403


# --- hiding a comment ------------------------------------------------------------------------------------
def test_an_agent_asks_for_a_comment_to_be_hidden_audited_and_queued(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.FACEBOOK_COMMENT, "fb-9", "scam company, everyone avoid!!!")
    [entry] = api.get(f"/cases/{case.case_id}", **ALICE).json["thread"]
    path = f"/cases/{case.case_id}/entries/{entry['entry_id'].replace('#', '%23')}/hide"
    answer = api.post(path, {"reason": "abusive"}, **ALICE)
    assert answer.status == 202, answer.json
    assert answer.json["entry"]["entry_id"] == entry["entry_id"]
    [task] = world.outbound_messages()
    assert task == {"v": 1, "task": "hide_comment", "case_id": case.case_id, "entry_id": entry["entry_id"]}
    action, actor, details = audit(api, case.case_id)[-1]
    assert (action, actor) == ("comment_hide_requested", "alice")
    assert details == {"entry_id": entry["entry_id"], "channel": "facebook_comment", "reason": "abusive"}


def test_only_a_customers_facebook_or_instagram_comment_can_be_hidden(api: ApiClient, world: World) -> None:
    for channel, user in ((Channel.MESSENGER, "psid-3"), (Channel.X_POST, "x-3")):
        case = world.writes(channel, user, "hello")
        [entry] = api.get(f"/cases/{case.case_id}", **ALICE).json["thread"]
        answer = api.post(f"/cases/{case.case_id}/entries/{entry['entry_id'].replace('#', '%23')}/hide", {}, **ALICE)
        assert (answer.status, answer.code) == (400, "hide_not_possible")
        assert channel.value in answer.json["message"]
    missing = api.post(f"/cases/{case.case_id}/entries/1767258000000%23nope/hide", {}, **ALICE)
    assert (missing.status, missing.code) == (404, "entry_not_found")
    assert world.outbound_messages() == []


def iso(ms: int) -> str:
    from chalicelib.views import iso as view_iso

    value = view_iso(ms)
    assert value is not None
    return value
