"""The task contract of the outbound queue (model/tasks.py): what the state machines and ingest send."""

from __future__ import annotations

import json

import pytest
from socialcare.errors import MalformedTask
from socialcare.model.tasks import CaseTask, TaskKind, task_in


def test_a_task_round_trips_with_its_arguments() -> None:
    task = CaseTask(TaskKind.NUDGE, "c-1", {"pending_since": "2026-12-01T09:00:00Z"})
    again = task_in(task.to_json())
    assert again == task
    assert again is not None
    assert again.arg("pending_since") == "2026-12-01T09:00:00Z"


def test_what_a_state_machine_sends_is_read_as_a_task() -> None:
    body = json.dumps(
        {
            "v": 1,
            "task": "department_request",
            "case_id": "c-2",
            "escalation_id": "e1",
            "task_token": "tok",
            "round": "0",
        }
    )
    task = task_in(body)
    assert task is not None
    assert task.kind is TaskKind.DEPARTMENT_REQUEST
    assert (task.arg("escalation_id"), task.arg("round")) == ("e1", "0")


def test_an_agent_reply_is_not_a_task() -> None:
    assert task_in('{"v": 1, "case_id": "c", "entry_id": "e", "channel": "messenger"}') is None
    assert task_in("not json") is None


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        ({"v": 1, "task": "dance", "case_id": "c"}, "unknown task 'dance'"),
        ({"v": 2, "task": "nudge", "case_id": "c"}, "version 1"),
        ({"v": 1, "task": "nudge"}, "needs a case_id"),
        ({"v": 1, "task": "nudge", "case_id": "c", "pending_since": 5}, "must be strings"),
    ],
)
def test_a_bad_task_is_refused_naming_what_is_wrong(doc: dict[str, object], says: str) -> None:
    with pytest.raises(MalformedTask, match=says):
        task_in(json.dumps(doc))


def test_a_missing_argument_is_named() -> None:
    with pytest.raises(MalformedTask, match="'pending_since'"):
        CaseTask(TaskKind.AUTO_RESOLVE, "c").arg("pending_since")
