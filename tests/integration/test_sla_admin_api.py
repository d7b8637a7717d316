"""The SLA configuration, department and case SLA routes through Chalice's test client, on moto:
every route by role, versions and If-Match, validation, audit records; every answer checked
against chalice_config/openapi.yaml."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from socialcare.aws.config_store import ConfigStore
from socialcare.model.escalation import EscalationSchedule, EscalationTier
from socialcare.model.events import Channel

from tests.agent_api_support import ADMIN, AGENT, HOUR, LEAD, MINUTE, T0, ApiClient, World
from tests.sla_config_support import ALWAYS, BERLIN, BILLING, POLICIES

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported in local mode"),
]
# ``world`` and ``api`` (the app wired to it) are tests/integration/conftest.py's.


def if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def configure(api: ApiClient) -> None:
    assert api.put("/admin/sla/calendars/berlin-office", BERLIN, **ADMIN).status == 200
    assert api.put("/admin/sla/calendars/always", ALWAYS, **ADMIN).status == 200
    assert api.put("/admin/sla/policies", POLICIES, **ADMIN).status == 200


def audit(world: World) -> list[tuple[str | None, str, str, str]]:
    records = ConfigStore(world.table, client=world.aws.dynamodb).config_audit(limit=50)
    return sorted((r.subject, r.action.value, r.actor, r.details["version"]) for r in records)


# --- calendars ------------------------------------------------------------------------------------
def test_an_admin_creates_and_changes_a_calendar_each_write_a_new_audited_version(api: ApiClient, world: World) -> None:
    created = api.put(
        "/admin/sla/calendars/berlin-office",
        BERLIN,
        headers=if_match(0),
        **ADMIN,
    )
    assert created.status == 200, created.json
    assert created.headers["ETag"] == '"1"'
    assert created.json["version"] == 1
    assert created.json["updated_by"] == "root"
    assert created.json["calendar"]["hours"]["mon"] == ["09:00-17:00"]
    assert created.json["calendar"]["holidays"] == {"country": "DE", "subdivision": "BE", "observed": True}

    nameless = {k: v for k, v in BERLIN.items() if k != "name"}
    changed = api.put(
        "/admin/sla/calendars/berlin-office", {**nameless, "closed_dates": ["2026-12-24"]}, headers=if_match(1), **ADMIN
    )
    assert changed.status == 200, changed.json
    assert changed.json["version"] == 2
    assert changed.json["calendar"]["name"] == "berlin-office"

    read = api.get("/admin/sla/calendars/berlin-office", **LEAD)
    assert read.status == 200
    assert read.headers["ETag"] == '"2"'
    assert read.json["calendar"]["closed_dates"] == ["2026-12-24"]
    assert audit(world) == [
        ("calendar/berlin-office", "calendar_updated", "root", "1"),
        ("calendar/berlin-office", "calendar_updated", "root", "2"),
    ]


def test_a_stale_if_match_is_refused_with_the_version_now(api: ApiClient, world: World) -> None:
    assert api.put("/admin/sla/calendars/always", ALWAYS, **ADMIN).status == 200
    stale = api.put("/admin/sla/calendars/always", ALWAYS, headers=if_match(0), **ADMIN)
    assert stale.status == 409
    assert stale.code == "config_version_conflict"
    assert stale.headers["ETag"] == '"1"'
    assert api.put("/admin/sla/calendars/always", ALWAYS, headers=if_match(7), **ADMIN).status == 409
    assert len(audit(world)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BERLIN, "hours": {"mon": ["9-5"]}}, "hours.mon[0]"),
        ({**BERLIN, "time_zone": "Mars/Olympus"}, "time_zone"),
        ({**BERLIN, "colour": "red"}, "colour"),
        ({**BERLIN, "name": "paris"}, "name"),
    ],
)
def test_an_invalid_calendar_is_refused_naming_the_field(
    api: ApiClient, world: World, body: dict[str, Any], field: str
) -> None:
    answer = api.put("/admin/sla/calendars/berlin-office", body, **ADMIN)
    assert answer.status == 400
    assert answer.code == "invalid_calendar"
    assert answer.json["field"] == field
    assert answer.json["reason"]
    assert audit(world) == []


def test_calendars_are_listed_by_name_and_an_unknown_one_is_404(api: ApiClient) -> None:
    configure(api)
    listed = api.get("/admin/sla/calendars", **LEAD)
    assert listed.status == 200
    assert [c["calendar"]["name"] for c in listed.json["calendars"]] == ["always", "berlin-office"]
    missing = api.get("/admin/sla/calendars/paris", **ADMIN)
    assert missing.status == 404
    assert missing.code == "config_not_found"


# --- policies -------------------------------------------------------------------------------------
def test_without_a_stored_policy_set_the_per_channel_targets_are_shown_as_version_0(api: ApiClient) -> None:
    answer = api.get("/admin/sla/policies", **LEAD)
    assert answer.status == 200
    assert answer.headers["ETag"] == '"0"'
    assert answer.json["source"] == "defaults"
    assert answer.json["version"] == 0
    default = next(p for p in answer.json["policies"] if p["match"] == {})
    assert default["calendar"] == "always"
    assert default["targets_minutes"] == {"first_response": 240, "next_response": 240}


def test_an_admin_replaces_the_policy_set_as_its_next_version(api: ApiClient, world: World) -> None:
    assert api.put("/admin/sla/calendars/berlin-office", BERLIN, **ADMIN).status == 200
    assert api.put("/admin/sla/calendars/always", ALWAYS, **ADMIN).status == 200
    first = api.put("/admin/sla/policies", POLICIES, headers=if_match(0), **ADMIN)
    assert first.status == 200, first.json
    assert (first.json["version"], first.json["source"], first.headers["ETag"]) == (1, "stored", '"1"')
    assert first.json["policies"][0]["warn_before"] == 0.25  # stored normalised: the defaults made explicit

    read = api.get("/admin/sla/policies", **LEAD).json
    edited = {"version": read["version"], "policies": read["policies"][:1]}  # GET, edit, PUT back
    second = api.put("/admin/sla/policies", edited, **ADMIN)
    assert second.status == 200, second.json
    assert second.json["version"] == 2
    assert [p["name"] for p in second.json["policies"]] == ["default"]

    assert api.put("/admin/sla/policies", edited, **ADMIN).status == 409  # version 1 is gone
    mismatch = api.put("/admin/sla/policies", edited, headers=if_match(2), **ADMIN)
    assert (mismatch.status, mismatch.code, mismatch.json["field"]) == (400, "invalid_policy", "version")
    assert [entry[:2] for entry in audit(world)][-2:] == [
        ("sla/policies", "sla_policies_updated"),
        ("sla/policies", "sla_policies_updated"),
    ]


def test_a_policy_set_naming_an_unknown_calendar_is_refused(api: ApiClient, world: World) -> None:
    assert api.put("/admin/sla/calendars/berlin-office", BERLIN, **ADMIN).status == 200
    answer = api.put("/admin/sla/policies", POLICIES, **ADMIN)
    assert answer.status == 400
    assert answer.code == "invalid_policy"
    assert answer.json["field"] == "policies[1].calendar"
    assert "always" in answer.json["reason"]
    assert api.get("/admin/sla/policies", **ADMIN).json["source"] == "defaults"


def test_an_invalid_policy_names_the_field(api: ApiClient) -> None:
    configure(api)
    bad = {"policies": [{**POLICIES["policies"][0], "targets_minutes": {"first_response": 0}}]}
    answer = api.put("/admin/sla/policies", bad, **ADMIN)
    assert (answer.status, answer.code) == (400, "invalid_policy")
    assert answer.json["field"] == "policies[0].targets_minutes.first_response"


# --- departments ----------------------------------------------------------------------------------
def test_departments_are_stored_versioned_and_listed(api: ApiClient, world: World) -> None:
    created = api.put("/admin/departments/billing", BILLING, headers=if_match(0), **ADMIN)
    assert created.status == 200, created.json
    assert created.json["department"]["id"] == "billing"
    assert created.json["department"]["manager"] == {"name": "Mia Manager", "phone": "+493012345678"}
    engineering = {**BILLING, "id": "engineering", "name": "Engineering"}
    assert api.put("/admin/departments/engineering", engineering, **ADMIN).status == 200

    listed = api.get("/admin/departments", **LEAD)
    assert [d["department"]["id"] for d in listed.json["departments"]] == ["billing", "engineering"]
    one = api.get("/admin/departments/billing", **LEAD)
    assert (one.status, one.headers["ETag"], one.json["version"]) == (200, '"1"', 1)
    assert api.get("/admin/departments/legal", **LEAD).status == 404
    assert api.put("/admin/departments/billing", BILLING, headers=if_match(0), **ADMIN).status == 409
    assert audit(world) == [
        ("department/billing", "department_updated", "root", "1"),
        ("department/engineering", "department_updated", "root", "1"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BILLING, "contacts": [{"name": "Desk", "phone": "030 1234"}]}, "contacts[0].phone"),
        ({**BILLING, "contacts": [{"name": "Desk"}]}, "contacts[0]"),
        ({**BILLING, "manager": {"name": "Mia", "chat_webhook_url": "http://chat"}}, "manager.chat_webhook_url"),
        ({**BILLING, "id": "legal"}, "id"),
        ({**BILLING, "contacts": []}, "contacts"),
    ],
)
def test_an_invalid_department_is_refused_naming_the_field(api: ApiClient, body: dict[str, Any], field: str) -> None:
    answer = api.put("/admin/departments/billing", body, **ADMIN)
    assert (answer.status, answer.code, answer.json["field"]) == (400, "invalid_department", field)


# --- who may ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/admin/sla/policies", POLICIES),
        ("PUT", "/admin/sla/calendars/always", ALWAYS),
        ("PUT", "/admin/departments/billing", BILLING),
    ],
)
def test_only_admins_write(api: ApiClient, method: str, path: str, body: dict[str, Any]) -> None:
    for who in (LEAD, AGENT):
        answer = api.call(method, path, body=body, **who)
        assert (answer.status, answer.code) == (403, "forbidden_role")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/sla/policies",
        "/admin/sla/calendars",
        "/admin/sla/calendars/always",
        "/admin/departments",
        "/admin/departments/billing",
    ],
)
def test_agents_may_not_read_the_configuration(api: ApiClient, path: str) -> None:
    answer = api.get(path, **AGENT)
    assert (answer.status, answer.code) == (403, "forbidden_role")


# --- a case's SLA -----------------------------------------------------------------------------------
def test_the_sla_view_uses_the_per_channel_targets_while_no_policy_set_is_stored(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-7", at_ms=T0)
    world.clock.advance(hours=1)
    answer = api.get(f"/cases/{case.case_id}/sla", **AGENT)
    assert answer.status == 200, answer.json
    view = answer.json
    assert view["policy"] == {"name": "default", "version": 0, "source": "defaults"}
    assert view["calendar"] == {
        "name": "always",
        "time_zone": "UTC",
        "open_now": True,
        "reopens_at": None,
        "reopens": None,
    }
    [clock] = view["clocks"]
    assert clock["clock"] == "first_response"
    assert clock["due_at"] == "2026-01-01T13:00:00.000Z"  # 4 hours after 09:00 UTC
    assert clock["remaining_ms"] == 3 * HOUR
    assert clock["breached"] is False
    assert view["breaches"] == []
    assert view["paused"] == []
    assert view["escalation_tier"] is None


def test_the_sla_view_counts_business_time_and_says_when_the_team_is_back(api: ApiClient, world: World) -> None:
    configure(api)
    # New Year's Day, a public holiday in Berlin: the office opens Friday 2 January, 09:00 CET (08:00 UTC).
    case = world.writes(Channel.TELEGRAM, "tg-7", at_ms=T0)
    view = api.get(f"/cases/{case.case_id}/sla", **AGENT).json
    assert view["policy"] == {"name": "default", "version": 1, "source": "stored"}
    assert view["calendar"]["open_now"] is False
    assert view["calendar"]["reopens"] == "tomorrow 09:00 CET"
    assert view["calendar"]["reopens_at"] == "2026-01-02T08:00:00.000Z"
    assert view["targets_minutes"] == {"first_response": 60, "next_response": 120, "resolution": 2880}
    first = next(c for c in view["clocks"] if c["clock"] == "first_response")
    assert first["due_at"] == "2026-01-02T09:00:00.000Z"
    assert first["remaining_ms"] == HOUR

    world.clock.now_ms = T0 + 24 * HOUR + 30 * MINUTE  # Friday 10:30 CET: half an hour overdue
    late = api.get(f"/cases/{case.case_id}/sla", **AGENT).json
    first = next(c for c in late["clocks"] if c["clock"] == "first_response")
    assert first["breached"] is True
    assert first["remaining_ms"] == -30 * MINUTE
    assert late["breaches"] == [
        {"clock": "first_response", "due_at": "2026-01-02T09:00:00.000Z", "overdue_ms": 30 * MINUTE}
    ]


def test_the_sla_view_shows_the_urgent_whatsapp_policy_paused_clocks_and_the_recorded_tier(
    api: ApiClient, world: World
) -> None:
    configure(api)
    case = world.writes(Channel.WHATSAPP, "34600000001", at_ms=T0)
    stored = world.store.get_case(case.case_id)
    urgent = replace(stored, priority=stored.priority.URGENT, version=stored.version + 1)
    world.store.save_case(stored, urgent)
    view = api.get(f"/cases/{case.case_id}/sla", **LEAD).json
    assert view["policy"]["name"] == "whatsapp-urgent"
    assert view["calendar"]["name"] == "always"
    assert [c["clock"] for c in view["clocks"]] == ["first_response"]

    schedule = EscalationSchedule("first_response", T0, T0 + 11 * MINUTE, T0 + 15 * MINUTE, tier=EscalationTier.WARN)
    waiting = replace(
        urgent,
        escalation=schedule,
        awaiting_reply_since_ms=None,
        status=urgent.status.PENDING_CUSTOMER,
        first_response_at_ms=T0 + MINUTE,
        version=urgent.version + 1,
    )
    world.store.save_case(urgent, waiting)
    assert api.get(f"/cases/{case.case_id}/sla", **LEAD).json["escalation_tier"] == "warn"

    default = replace(waiting, priority=waiting.priority.NORMAL, version=waiting.version + 1)
    world.store.save_case(waiting, default)
    paused = api.get(f"/cases/{case.case_id}/sla", **LEAD).json
    assert paused["policy"]["name"] == "default"
    assert [p["clock"] for p in paused["paused"]] == ["resolution"]  # the customer's silence is not the brand's delay
    assert paused["clocks"] == []


def test_the_sla_view_is_for_whoever_may_read_the_case(api: ApiClient, world: World) -> None:
    case = world.writes(Channel.TELEGRAM, "tg-7")
    assert api.get(f"/cases/{case.case_id}/sla", agent="bob", teams=("billing",)).status == 403
    assert api.get("/cases/01JGZ8Q5K2M3N4P5Q6R7S8T9V0/sla", **AGENT).status == 404
    assert api.get("/cases/not-a-case/sla", **AGENT).status == 404
