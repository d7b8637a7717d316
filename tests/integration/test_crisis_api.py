"""Crisis mode's routes through Chalice's test client, on moto: admins only, a declaration validated,
versioned and audited, ended by hand or by time, the crisis on every case in its scope, and the held
messages listed, released (the gate asked again) or discarded, each decision audited once; every
answer checked against chalice_config/openapi.yaml."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare.aws.automated_store import AutomatedStore
from socialcare.aws.config_store import ConfigStore
from socialcare.model.case import Case
from socialcare.model.events import Channel

from tests.agent_api_support import ADMIN, AGENT, HOUR, LEAD, MINUTE, ApiClient, World
from tests.automation_support import held_acknowledgement

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported in local mode"),
]

STORM = {"name": "Storm in the north", "scope": {"accounts": ["page-1"]}}


def declare(api: ApiClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = api.post("/admin/crises", body or STORM, **ADMIN)
    assert answer.status == 201, answer.json
    return answer.json  # type: ignore[no-any-return]


def hold(world: World, case: Case, crisis_id: str) -> dict[str, str]:
    """What the outbound function stores when the crisis holds the case's acknowledgement."""
    entry, held = held_acknowledgement(case, crisis_id, now_ms=world.clock.now_ms)
    assert AutomatedStore(world.table, client=world.aws.dynamodb).add_automated(entry, held)
    return {"case_id": case.case_id, "entry_id": entry.entry_id}


def audit(world: World) -> list[tuple[str | None, str, str]]:
    records = ConfigStore(world.table, client=world.aws.dynamodb).config_audit(limit=50)
    return sorted((r.subject, r.action.value, r.actor) for r in records)


def test_only_admins_work_with_crises(api: ApiClient, world: World) -> None:
    crisis = declare(api)
    path = f"/admin/crises/{crisis['crisis_id']}"
    for who in (AGENT, LEAD):
        for method, route, body in (
            ("GET", "/admin/crises", None),
            ("POST", "/admin/crises", STORM),
            ("GET", path, None),
            ("POST", f"{path}/end", {}),
            ("GET", f"{path}/held", None),
            ("POST", f"{path}/held/release", {"case_id": "x", "entry_id": "1767258000000#auto-acknowledgement"}),
            ("POST", f"{path}/held/discard", {"case_id": "x", "entry_id": "1767258000000#auto-acknowledgement"}),
        ):
            answer = api.call(method, route, body=body, **who)
            assert (answer.status, answer.code) == (403, "forbidden_role"), (method, route, who)
    assert len(audit(world)) == 1


def test_a_declared_crisis_is_stored_versioned_audited_and_listed(api: ApiClient, world: World) -> None:
    created = declare(api, {**STORM, "ends_at": "2026-01-02T09:00:00Z", "scope": {"languages": ["de"]}})
    assert created["version"] == 1
    assert created["active"] is True
    assert (created["starts_at"], created["ends_at"]) == ("2026-01-01T09:00:00.000Z", "2026-01-02T09:00:00.000Z")
    assert created["scope"] == {"accounts": [], "languages": ["de"], "keywords": []}
    world.clock.advance(minutes=1)
    later = declare(api, {"name": "Outage", "starts_at": "2026-01-05T00:00:00Z"})
    listed = api.get("/admin/crises", **ADMIN).json["crises"]
    assert [(c["name"], c["active"]) for c in listed] == [("Outage", False), ("Storm in the north", True)]
    read = api.get(f"/admin/crises/{later['crisis_id']}", **ADMIN)
    assert (read.status, read.headers["ETag"]) == (200, '"1"')
    assert audit(world) == [
        (f"crisis/{created['crisis_id']}", "crisis_declared", "root"),
        (f"crisis/{later['crisis_id']}", "crisis_declared", "root"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": {}}, "name"),
        ({"name": "Storm", "scope": {"languages": ["German"]}}, "scope.languages[0]"),
        ({"name": "Storm", "ends_at": "2025-01-01T00:00:00Z"}, "ends_at"),
        ({"name": "Storm", "when": "now"}, "when"),
    ],
)
def test_an_invalid_declaration_is_refused_naming_the_field(
    api: ApiClient, world: World, body: dict[str, Any], field: str
) -> None:
    answer = api.post("/admin/crises", body, **ADMIN)
    assert (answer.status, answer.code, answer.json["field"]) == (400, "invalid_crisis", field)
    assert api.get("/admin/crises", **ADMIN).json["crises"] == []


def test_a_crisis_ends_by_hand_once_or_by_time(api: ApiClient, world: World) -> None:
    crisis = declare(api)
    path = f"/admin/crises/{crisis['crisis_id']}"
    assert api.post(f"{path}/end", {}, headers={"If-Match": '"7"'}, **ADMIN).status == 409
    world.clock.advance(minutes=5)
    ended = api.post(f"{path}/end", {}, headers={"If-Match": '"1"'}, **ADMIN)
    assert ended.status == 200, ended.json
    assert (ended.json["version"], ended.json["active"], ended.json["ended_by"]) == (2, False, "root")
    again = api.post(f"{path}/end", {}, **ADMIN)
    assert (again.status, again.code) == (409, "crisis_ended")
    timed = declare(api, {"name": "Short", "ends_at": "2026-01-01T10:00:00Z"})
    world.clock.advance(hours=2)
    assert api.get(f"/admin/crises/{timed['crisis_id']}", **ADMIN).json["active"] is False
    over = api.post(f"/admin/crises/{timed['crisis_id']}/end", {}, **ADMIN)
    assert (over.status, over.code) == (409, "crisis_ended")
    assert api.get("/admin/crises/01JGZ8Q5K2M3N4P5Q6R7S8T9V0", **ADMIN).status == 404
    assert api.get("/admin/crises/not-a-crisis", **ADMIN).status == 404


def test_agents_see_the_active_crisis_on_every_case_in_its_scope(api: ApiClient, world: World) -> None:
    in_scope = world.writes(Channel.MESSENGER, "psid-1")
    elsewhere = world.writes(Channel.WHATSAPP, "34600111222")
    crisis = declare(api, {**STORM, "ends_at": "2026-01-01T12:00:00Z"})
    badge = [{"crisis_id": crisis["crisis_id"], "name": "Storm in the north", "ends_at": "2026-01-01T12:00:00.000Z"}]

    queue = api.get("/queues/care/cases", **AGENT).json["cases"]
    assert {c["case_id"]: c["crises"] for c in queue} == {in_scope.case_id: badge, elsewhere.case_id: []}
    assert api.get(f"/cases/{in_scope.case_id}", **AGENT).json["case"]["crises"] == badge
    world.clock.advance(hours=4)  # over by time
    assert api.get(f"/cases/{in_scope.case_id}", **AGENT).json["case"]["crises"] == []


def test_held_messages_are_listed_and_each_released_or_discarded_once(api: ApiClient, world: World) -> None:
    crisis = declare(api)
    path = f"/admin/crises/{crisis['crisis_id']}"
    first = hold(world, world.writes(Channel.MESSENGER, "psid-1"), crisis["crisis_id"])
    second = hold(world, world.writes(Channel.MESSENGER, "psid-2"), crisis["crisis_id"])
    page = api.get(f"{path}/held?limit=1", **ADMIN).json
    rest = api.get(f"{path}/held?limit=1&cursor={page['next_cursor']}", **ADMIN).json
    assert [m["state"] for m in page["messages"] + rest["messages"]] == ["held", "held"]
    assert rest["next_cursor"] is None

    world.clock.advance(minutes=10)
    released = api.post(f"{path}/held/release", first, **ADMIN)
    assert released.status == 200, released.json
    assert (released.json["message"]["state"], released.json["message"]["decided_by"], released.json["queued"]) == (
        "released",
        "root",
        True,
    )
    [queued] = world.outbound_messages()
    assert (queued["case_id"], queued["entry_id"], queued["channel"]) == (
        first["case_id"],
        first["entry_id"],
        "messenger",
    )
    discarded = api.post(f"{path}/held/discard", second, **ADMIN)
    assert (discarded.status, discarded.json["message"]["state"]) == (200, "discarded")
    assert world.outbound_messages() == []
    for ref in (first, second):
        twice = api.post(f"{path}/held/discard", ref, **ADMIN)
        assert (twice.status, twice.code) == (409, "held_message_decided")
    thread = api.get(f"/cases/{second['case_id']}", **AGENT).json["thread"]
    assert [(e["delivery_state"], e["details"].get("discarded_by")) for e in thread if e["kind"] == "outbound"] == [
        ("discarded", "root")
    ]
    assert [a[1] for a in audit(world) if a[1].startswith("held")] == [
        "held_message_discarded",
        "held_message_released",
    ]


def test_a_release_the_gate_no_longer_allows_is_refused_and_the_message_stays_held(
    api: ApiClient, world: World
) -> None:
    crisis = declare(api)
    path = f"/admin/crises/{crisis['crisis_id']}"
    ref = hold(world, world.writes(Channel.MESSENGER, "psid-1"), crisis["crisis_id"])
    world.clock.advance(ms=25 * HOUR)  # Messenger's 24-hour window has closed meanwhile
    refused = api.post(f"{path}/held/release", ref, **ADMIN)
    assert (refused.status, refused.code) == (422, "reply_not_possible")
    assert "the platform would refuse it" in refused.json["message"]
    assert world.outbound_messages() == []
    assert api.get(f"{path}/held", **ADMIN).json["messages"][0]["state"] == "held"
    assert api.post(f"{path}/held/discard", ref, **ADMIN).status == 200


def test_an_unknown_held_message_is_404_and_a_bad_reference_400(api: ApiClient, world: World) -> None:
    crisis = declare(api)
    path = f"/admin/crises/{crisis['crisis_id']}"
    case = world.writes(Channel.MESSENGER, "psid-1")
    missing = api.post(f"{path}/held/release", {"case_id": case.case_id, "entry_id": "1767258000000#x"}, **ADMIN)
    assert (missing.status, missing.code) == (404, "entry_not_found")
    bad = api.post(f"{path}/held/release", {"case_id": case.case_id, "entry_id": "no"}, **ADMIN)
    assert (bad.status, bad.code) == (400, "invalid_request")
    unknown = api.post(f"{path}/held/release", {"case_id": case.case_id, "entry": "x"}, **ADMIN)
    assert unknown.status == 400
    world.clock.advance(ms=MINUTE)
