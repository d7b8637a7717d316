"""Admins changing the brand's routing rules; leads and admins reading them.

The rules are one versioned configuration document (``rules/routing_rules.py`` gives its shape). A
PUT is validated whole by ``RoutingRules.from_config`` (``InvalidRoutingRules`` names the field at
fault, nothing is stored) and stored normalised as the next version with its audit record, in one
write; ``expected_version`` (If-Match, or the body's ``version``: the version it replaces) pins the
version the admin looked at. The stored document's ``version`` is its stored version, which is what
a case routed by it records (``routing.rules_version``). Ingest picks a change up within a minute
(``ingest/routing_source.py``).

While nothing is stored, GET shows the rules the functions were deployed with (``ROUTING_RULES``) as
version 0, ``source`` ``deployed`` (``none`` without any): what ingest routes by until the first PUT.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialcare.agents import access
from socialcare.agents.identity import Caller
from socialcare.agents.sla_base import SlaActions, body_version, check_version
from socialcare.agents.sla_results import DEFAULTS_VERSION, ConfigResult
from socialcare.errors import InvalidRoutingRules
from socialcare.model.config import ROUTING_RULES_NAME, ConfigKind
from socialcare.rules.routing_rules import RoutingRules

_KIND = ConfigKind.ROUTING_RULES


class RoutingAdmin(SlaActions):
    def get_routing_rules(self, caller: Caller) -> ConfigResult:
        access.require_config_read(caller)
        stored = self._stored(_KIND, ROUTING_RULES_NAME)
        if stored is not None:
            return ConfigResult.of(stored)
        deployed = self._deps.deployed_routing
        document = {**(deployed or RoutingRules(version=1)).to_config(), "version": DEFAULTS_VERSION}
        source = "deployed" if deployed is not None else "none"
        return ConfigResult(_KIND, ROUTING_RULES_NAME, DEFAULTS_VERSION, document, source=source)

    def put_routing_rules(
        self, caller: Caller, document: Mapping[str, Any], *, expected_version: int | None
    ) -> ConfigResult:
        access.require_config_write(caller)
        expected = body_version(document, expected_version, InvalidRoutingRules)
        stored = self._stored(_KIND, ROUTING_RULES_NAME)
        current = stored.version if stored else 0
        check_version(_KIND, ROUTING_RULES_NAME, current, expected)
        rules = RoutingRules.from_config({**document, "version": current + 1})
        return self._save(caller, _KIND, ROUTING_RULES_NAME, current, rules.to_config())
