"""Key builders for the single table (layout in schema.py)."""

from __future__ import annotations

from socialcare.rules import views
from socialcare.rules.views import VIEW_SHARDS


def case_pk(case_id: str) -> str:
    return f"CASE#{case_id}"


CASE_SK = "CASE"
CURRENT_SK = "CURRENT"
PMSG_SK = "PMSG"
ENTRY_PREFIX = "MSG#"


def entry_sk(timestamp_ms: int, entry_id: str) -> str:
    return f"{ENTRY_PREFIX}{timestamp_ms:013d}#{entry_id}"


def customer_pk(account_id: str, user_id: str) -> str:
    return f"CUST#{account_id}#{user_id}"


def platform_message_pk(platform: str, account_id: str, message_id: str) -> str:
    return f"PMSG#{platform}#{account_id}#{message_id}"


def account_pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


PROFILE_SK = "PROFILE"


def unmatched_pk(platform: str, day: str) -> str:
    return f"UNMATCHED#{platform}#{day}"


def view_pk(prefix: str, scope: str, value: str, shard: int | None) -> str:
    """A view's partition key (``aws/schema.py``): ``<prefix>#<scope>[#<value>][#<shard, 2 digits>]``."""
    parts = [prefix, scope, *([value] if value else []), *([f"{shard:02d}"] if shard is not None else [])]
    return "#".join(parts)


def queue_pks(team: str) -> list[str]:
    """Every shard of the team's queue (its active cases not set aside)."""
    return [view_pk("QUEUE", team, "", shard) for shard in range(VIEW_SHARDS)]


# Sort keys of the views (socialcare/rules/views.py, shared with the in-memory twin).
due_sort_key = views.due_sort_key


def customer_sort_key(created_ms: int) -> str:
    """The customer index's sort key: the creation time alone (13 digits), since the index's items carry
    the case's key anyway (keys written before, ``<created ms>#<case id>``, sort the same way)."""
    return f"{created_ms:013d}"


AUDIT_PREFIX = "AUDIT#"
IDEMPOTENCY_PREFIX = "IDEMP#"
ESCALATION_PREFIX = "ESC#"  # a department escalation, under its case


def escalation_sk(escalation_id: str) -> str:
    return f"{ESCALATION_PREFIX}{escalation_id}"


def audit_sk(order: int, record_id: str) -> str:
    """``order``: the case version after the action (a case's true order, whatever the clocks say),
    or the time in ms for a brand account's records."""
    return f"{AUDIT_PREFIX}{order:013d}#{record_id}"


def idempotency_sk(agent_id: str, key: str) -> str:
    return f"{IDEMPOTENCY_PREFIX}{agent_id}#{key}"


# Configuration the admin routes change (socialcare/aws/config_store.py).
SLA_CONFIG_PK = "CONFIG#sla"  # the policy set and the calendars: one Query reads them all
DEPARTMENTS_PK = "CONFIG#departments"
ROUTING_CONFIG_PK = "CONFIG#routing"  # the routing rules: ingest reads them with one GetItem
ROUTING_RULES_SK = "RULES"
CONFIG_AUDIT_PK = "CONFIG#audit"
POLICIES_SK = "POLICIES"
CALENDAR_PREFIX = "CALENDAR#"
DEPARTMENT_PREFIX = "DEPARTMENT#"


# Surge counters (socialcare/aws/surge_store.py): one partition key per shard, one item per bucket.
def surge_pk(shard: int) -> str:
    return f"SURGE#{shard:02d}"


def bucket_sk(bucket_ms: int) -> str:
    return f"{bucket_ms:013d}"


def surge_raised_pk(bucket_ms: int) -> str:
    return f"SURGED#{bucket_ms:013d}"


CRISES_PK = "CONFIG#crises"  # every declared crisis: one Query lists them
CRISIS_PREFIX = "CRISIS#"


def crisis_pk(crisis_id: str) -> str:
    """The partition of a crisis's held messages."""
    return f"CRISIS#{crisis_id}"


HELD_PREFIX = "HELD#"


def held_sk(case_id: str, entry_id: str) -> str:
    return f"{HELD_PREFIX}{case_id}#{entry_id}"


# The reports' day facts (socialcare/aws/report_store.py): one item per case and UTC day.
def report_day_pk(day: str) -> str:
    return f"REPORTDAY#{day}"


REPORT_CASE_PREFIX = "CASE#"


# The case clocks still to start (socialcare/aws/clock_index.py): the clock index, one partition per
# shard, sorted by the time the clock must start; the sweep's watermarks in one item of the table.
CLOCK_SWEEP_PK = "SWEEP#clocks"
WATERMARKS_SK = "WATERMARKS"


def clock_pk(shard: int) -> str:
    return f"CLOCKS#{shard:02d}"


def clock_sort_key(start_at_ms: int, case_id: str, generation: int, tier: str) -> str:
    """``<start at ms 13d>#<case id>#<generation>#<tier>``: time order, and all the execution's input
    but the instant (start at + the lead)."""
    return f"{start_at_ms:013d}#{case_id}#{generation}#{tier}"


def parse_clock_sort_key(sort_key: str) -> tuple[int, str, int, str]:
    """(start at ms, case id, generation, tier) of a ``clock_sort_key``."""
    start, rest = sort_key.split("#", 1)
    case_id, generation, tier = rest.rsplit("#", 2)
    return int(start), case_id, int(generation), tier
