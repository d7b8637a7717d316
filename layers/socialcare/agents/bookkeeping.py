"""Deciding an action again when only the system's own bookkeeping moved the case on under it.

A concurrent change makes an action's transaction fail, and the caller gets a ``StateConflict``
carrying the case as it now is. Such a conflict is never retried behind the caller's back when a
person caused it (a colleague acted, the customer wrote), because they would want to see it first.
A change that is only the system's own bookkeeping — the outbound sender recording the delivery of a
reply (typically the caller's own, just before they resolve the case), a read receipt — is
different: the action is decided again, rules and all, on the case as it now is, unless the caller
pinned the version they looked at (``expected_version``, If-Match).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from socialcare.errors import MovedOnByBookkeeping
from socialcare.model.case import Case

logger = logging.getLogger(__name__)

# How often an action is decided again when only the system's bookkeeping moved the case on.
DECIDE_ATTEMPTS = 3

_P = ParamSpec("_P")
_R = TypeVar("_R")


def decided_again_after_bookkeeping(action: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``action`` again (it reads and decides afresh) when the case moved on under it only through
    the system's bookkeeping, unless the caller pinned the version (``expected_version``, If-Match)."""

    @functools.wraps(action)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        pinned = kwargs.get("expected_version") is not None
        for attempt in range(1, DECIDE_ATTEMPTS + 1):
            try:
                return action(*args, **kwargs)
            except MovedOnByBookkeeping:
                if pinned or attempt == DECIDE_ATTEMPTS:
                    raise
                logger.info("case moved on by bookkeeping; deciding again", extra={"attempt": attempt})
        raise AssertionError("unreachable")  # pragma: no cover

    return run


def only_bookkeeping_changed(before: Case, current: Case) -> bool:
    """Whether what changed since ``before`` is only what the system records by itself: a reply's
    delivery (first response, the clock stopped, one more message), a read receipt. A customer
    message counts one more message without a reply being recorded (or two with one); a person
    acting changes the status or the owner, or leaves an audit record (checked by the caller)."""
    reply_recorded = current.last_outbound_at_ms != before.last_outbound_at_ms
    return (
        current.message_count - before.message_count <= (1 if reply_recorded else 0)
        and current.case_id == before.case_id
        and current.status is before.status
        and current.owner == before.owner
        and current.team == before.team
        and current.priority is before.priority
        and current.channels == before.channels
        and current.last_inbound_at_ms == before.last_inbound_at_ms
        and dict(current.last_inbound_by_channel) == dict(before.last_inbound_by_channel)
        and current.reopen_count == before.reopen_count
        and current.superseded_by == before.superseded_by
        and current.awaiting_reply_since_ms in (None, before.awaiting_reply_since_ms)
    )
