"""Key builders for the single table (layout in schema.py)."""

from __future__ import annotations

from socialcare.rules.sla import NOT_DUE_MS


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


def queue_pk(team: str) -> str:
    return f"QUEUE#{team}"


def owner_pk(owner: str) -> str:
    return f"OWNER#{owner}"


def due_sort_key(due_ms: int | None, case_id: str) -> str:
    return f"{due_ms if due_ms is not None else NOT_DUE_MS:013d}#{case_id}"


def created_sort_key(created_ms: int, case_id: str) -> str:
    return f"{created_ms:013d}#{case_id}"


AUDIT_PREFIX = "AUDIT#"
IDEMPOTENCY_PREFIX = "IDEMP#"


def audit_sk(order: int, record_id: str) -> str:
    """``order``: the case version after the action (a case's true order, whatever the clocks say),
    or the time in ms for a brand account's records."""
    return f"{AUDIT_PREFIX}{order:013d}#{record_id}"


def idempotency_sk(agent_id: str, key: str) -> str:
    return f"{IDEMPOTENCY_PREFIX}{agent_id}#{key}"


def done_pk(team: str, status: str) -> str:
    return f"DONE#{team}#{status}"


# Configuration the admin routes change (socialcare/aws/config_store.py).
SLA_CONFIG_PK = "CONFIG#sla"  # the policy set and the calendars: one Query reads them all
DEPARTMENTS_PK = "CONFIG#departments"
CONFIG_AUDIT_PK = "CONFIG#audit"
POLICIES_SK = "POLICIES"
CALENDAR_PREFIX = "CALENDAR#"
DEPARTMENT_PREFIX = "DEPARTMENT#"


# The reports' day facts (socialcare/aws/report_store.py): one item per case and UTC day.
def report_day_pk(day: str) -> str:
    return f"REPORTDAY#{day}"


REPORT_CASE_PREFIX = "CASE#"
