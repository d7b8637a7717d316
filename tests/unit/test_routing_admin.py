"""The routing rules as admins change them (the agent service on the in-memory config store) and as
ingest reads them (``StoredRoutingRules``: the stored rules, else the deployed ones, re-read each minute)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from socialcare.agents.identity import Caller, Role
from socialcare.agents.sla_service import SlaService
from socialcare.clock import ManualClock
from socialcare.errors import ConfigVersionConflict, ForbiddenRole, InvalidRoutingRules
from socialcare.ingest.routing_source import StoredRoutingRules
from socialcare.memory.agents import MemoryAgentStore
from socialcare.memory.config_store import MemoryConfigStore
from socialcare.model.audit import AuditAction
from socialcare.model.config import ROUTING_RULES_NAME, ConfigKind, StoredConfig
from socialcare.rules.routing_rules import RoutingRules

from tests.routing_support import CONFIG, mutated, names_the_change

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000
ROOT = Caller("root", Role.ADMIN, frozenset(), "Root Admin")
LENA = Caller("lena", Role.LEAD, frozenset({"care"}), "Lena Lead")
ALICE = Caller("alice", Role.AGENT, frozenset({"care"}), "Alice Agent")
# What an admin PUTs: the configuration without a version (the store gives it the next one).
DOC = {key: value for key, value in CONFIG.items() if key != "version"}
DEPLOYED = RoutingRules.from_config({"version": 7, "rules": [{"name": "all-pr", "when": {}, "then": {"team": "pr"}}]})


class World:
    def __init__(self, deployed: RoutingRules | None = None) -> None:
        self.clock = ManualClock(T0)
        self.config = MemoryConfigStore()
        self.service = SlaService(self.config, MemoryAgentStore(), clock=self.clock, deployed_routing=deployed)
        self.ingest_rules = StoredRoutingRules(self.config, deployed=deployed, clock=self.clock)

    def audit(self) -> list[tuple[str | None, AuditAction, str]]:
        """The configuration's audit records, by version (records of one instant come in any order)."""
        return sorted((r.subject, r.action, r.details["version"]) for r in self.config.config_audit(limit=50))


def test_only_admins_change_the_rules_and_agents_do_not_read_them() -> None:
    world = World()
    with pytest.raises(ForbiddenRole):
        world.service.get_routing_rules(ALICE)
    for caller in (ALICE, LENA):
        with pytest.raises(ForbiddenRole):
            world.service.put_routing_rules(caller, DOC, expected_version=None)
    assert world.service.get_routing_rules(LENA).version == 0
    assert world.audit() == []


def test_while_none_are_stored_the_deployed_rules_show_as_version_0() -> None:
    shown = World(DEPLOYED).service.get_routing_rules(LENA)
    assert (shown.version, shown.source) == (0, "deployed")
    assert [rule["name"] for rule in shown.document["rules"]] == ["all-pr"]
    none = World().service.get_routing_rules(ROOT)
    assert (none.version, none.source, none.document["rules"]) == (0, "none", [])


def test_each_write_is_the_next_audited_version_and_if_match_pins_the_one_looked_at() -> None:
    world = World()
    first = world.service.put_routing_rules(ROOT, DOC, expected_version=0)
    assert (first.version, first.document["version"], first.updated_by) == (1, 1, "root")
    with pytest.raises(ConfigVersionConflict) as stale:
        world.service.put_routing_rules(ROOT, DOC, expected_version=0)
    assert stale.value.current == 1
    again = {**copy.deepcopy(DOC), "version": 1}  # the body names the version it replaces
    assert world.service.put_routing_rules(ROOT, again, expected_version=None).version == 2
    with pytest.raises(InvalidRoutingRules) as disagree:
        world.service.put_routing_rules(ROOT, {**DOC, "version": 2}, expected_version=1)
    assert disagree.value.field == "version"
    assert world.audit() == [
        ("routing/rules", AuditAction.ROUTING_RULES_UPDATED, "1"),
        ("routing/rules", AuditAction.ROUTING_RULES_UPDATED, "2"),
    ]


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_put_document_is_stored_whole_or_refused_naming_the_field_with_nothing_stored(data: st.DataObject) -> None:
    world = World()
    document, changed = mutated(data, {**DOC, "version": 0})  # "version": the one it replaces, none
    try:
        stored = world.service.put_routing_rules(ROOT, document, expected_version=None)
    except (InvalidRoutingRules, ConfigVersionConflict) as refused:
        field = refused.field if isinstance(refused, InvalidRoutingRules) else "version"
        assert names_the_change(field, changed), (field, changed)
        assert world.service.get_routing_rules(ROOT).version == 0
        assert world.audit() == []
        return
    assert stored.version == 1
    assert world.ingest_rules() == RoutingRules.from_config({**document, "version": 1})


def test_ingest_routes_by_the_deployed_rules_until_some_are_stored_and_rereads_each_minute() -> None:
    world = World(DEPLOYED)
    assert world.ingest_rules() is DEPLOYED
    world.service.put_routing_rules(ROOT, DOC, expected_version=0)
    world.clock.advance(ms=59_999)
    assert world.ingest_rules() is DEPLOYED  # the copy held is under a minute old
    world.clock.advance(ms=1)
    rules = world.ingest_rules()
    assert (rules.version, rules.rules[0].name) == (1, "press-account")
    world.service.put_routing_rules(ROOT, {**DOC, "rules": DOC["rules"][1:]}, expected_version=1)
    assert world.ingest_rules().version == 1
    world.clock.advance(seconds=60)
    assert (world.ingest_rules().version, world.ingest_rules().rules[0].name) == (2, "journalists")


class FlakyConfig:
    """A configuration store that fails to answer while ``down``."""

    def __init__(self, stored: StoredConfig | None) -> None:
        self.stored = stored
        self.down = False
        self.reads = 0

    def get_config(self, kind: ConfigKind, name: str) -> StoredConfig | None:
        self.reads += 1
        if self.down:
            raise ConnectionError("DynamoDB is unreachable")
        return self.stored


def test_a_failed_read_keeps_the_copy_held_and_without_one_fails_the_message() -> None:
    clock = ManualClock(T0)
    config = FlakyConfig(StoredConfig(ConfigKind.ROUTING_RULES, ROUTING_RULES_NAME, 4, CONFIG, T0, "root"))
    source = StoredRoutingRules(config, deployed=DEPLOYED, clock=clock)
    assert source().version == 4
    config.down = True
    clock.advance(seconds=61)
    assert source().version == 4
    assert config.reads == 2
    with pytest.raises(ConnectionError):
        StoredRoutingRules(config, deployed=DEPLOYED, clock=clock)()


def test_a_stored_document_that_no_longer_loads_gives_way_to_the_deployed_rules(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken: dict[str, Any] = {**CONFIG, "rules": [{"name": "x", "when": {}, "then": {"priority": "asap"}}]}
    config = FlakyConfig(StoredConfig(ConfigKind.ROUTING_RULES, ROUTING_RULES_NAME, 3, broken, T0, "root"))
    assert StoredRoutingRules(config, deployed=DEPLOYED, clock=ManualClock(T0))() is DEPLOYED
    assert any(r.message == "stored routing rules do not load; the deployed rules apply" for r in caplog.records)


def test_the_config_store_keeps_the_rules_apart_from_the_sla_documents() -> None:
    world = World()
    world.service.put_routing_rules(ROOT, DOC, expected_version=0)
    assert world.config.sla_config().policies is None
    assert world.config.list_configs(ConfigKind.ROUTING_RULES)[0].name == ROUTING_RULES_NAME
