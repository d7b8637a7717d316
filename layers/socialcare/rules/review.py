"""The review queue: a case marked spam or troll is set aside, never dropped, and one action restores it.

- **Set aside** (``set_aside``): the case keeps every message and stays findable, but it waits in its
  team's review queue instead of the main one (the case item's queue key says which, ``aws/items.py``);
  it counts against no response target while marked (no due time, no escalation schedule: a running
  case clock ends when it next wakes and no new one starts); and no automated message goes to it
  (``automated_messages_allowed`` is false, what it was before is kept on the mark).
- **Restored** (``restored``): the mark goes, automated messages are allowed again as they were before
  (never on a sensitive case), and a customer still waiting gets a response clock that starts at the
  restore: due by the channel's target from then, as if they had just written.
"""

from __future__ import annotations

from dataclasses import replace

from socialcare.model.case import Case, CaseMark
from socialcare.model.events import Channel
from socialcare.rules.case_sla import SlaInForce, answered, awaiting_message, with_sla
from socialcare.rules.escalation import with_escalation


def set_aside(case: Case, mark: CaseMark) -> Case:
    """``case`` with ``mark``, out of the main queue and off the response clock."""
    before = case.mark.automated_before if case.mark is not None else case.automated_messages_allowed
    after = replace(
        case,
        mark=replace(mark, automated_before=before),
        automated_messages_allowed=False,
        response_due_at_ms=None,
    )
    return with_escalation(after, None)


def restored(case: Case, *, by: str, now_ms: int, sla: SlaInForce) -> Case:
    """``case`` back in the main queue, its response clock (if the customer waits) starting now."""
    allowed = (case.mark.automated_before if case.mark is not None else case.automated_messages_allowed) and not (
        case.sensitive
    )
    waiting_since = case.awaiting_reply_since_ms if case.status.is_active else None
    after = replace(
        answered(case) if waiting_since is not None else case,
        mark=None,
        automated_messages_allowed=allowed,
        restored_at_ms=now_ms,
        restored_by=by,
    )
    if waiting_since is not None:
        # Due by the fastest channel the customer wrote on while waiting (every channel when not known).
        waiting = [ch for ch, at in case.last_inbound_by_channel.items() if at >= waiting_since]
        for channel in waiting or sorted(case.channels) or [Channel.MESSENGER]:
            after = awaiting_message(after, sla, channel, now_ms, now_ms)
    return with_sla(after, sla, now_ms)
