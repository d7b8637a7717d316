"""Work handed to the outbound function through its queue by something other than an agent's reply.

The state machines (follow-up, department escalation) and ingest put these on the outbound queue,
beside the agents' replies (``model/outbound.py``), because the outbound function is the one place
that may speak to customers and already holds the platform clients. A task is a JSON object::

    {"v": 1, "task": "<kind>", "case_id": "<case id>", ...the kind's own string arguments}

Every value is a string (Step Functions' ``States.Format`` and JSONPath build them as such). What each
kind asks, and which arguments it carries, is in ``TaskKind``; the function's handler routes a task to
the core service for its kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from socialcare.errors import MalformedTask

TASK_VERSION = 1
_RESERVED = ("v", "task", "case_id")


class TaskKind(StrEnum):
    # ingest, after opening a case: tell the customer when to expect an answer (issue 8, item 4)
    ACKNOWLEDGE = "acknowledge"
    # follow-up machine: remind a customer the case waits for their answer; args: ``pending_since``
    NUDGE = "nudge"
    # follow-up machine: resolve a case the customer left unanswered; args: ``pending_since``
    AUTO_RESOLVE = "auto_resolve"
    # department machine (``.waitForTaskToken``): ask the department; args: ``escalation_id``,
    # ``task_token``, ``round`` ("0" first ask, then one per reminder)
    DEPARTMENT_REQUEST = "department_request"
    # agent API (an agent's explicit action, never automatic): hide a customer's Facebook or Instagram
    # comment on the platform; args: ``entry_id`` (the comment's thread entry)
    HIDE_COMMENT = "hide_comment"


@dataclass(frozen=True, slots=True)
class CaseTask:
    kind: TaskKind
    case_id: str
    args: Mapping[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str:
        value = self.args.get(name)
        if not value:
            raise MalformedTask(f"a {self.kind} task needs {name!r}")
        return value

    def to_json(self) -> str:
        doc = {"v": TASK_VERSION, "task": self.kind.value, "case_id": self.case_id, **self.args}
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CaseTask:
        doc = _object(text)
        if doc is None or "task" not in doc:
            raise MalformedTask("not a task")
        return cls.from_doc(doc)

    @classmethod
    def from_doc(cls, doc: Mapping[str, object]) -> CaseTask:
        if str(doc.get("v")) != str(TASK_VERSION):
            raise MalformedTask(f"a task must be of version {TASK_VERSION}")
        try:
            kind = TaskKind(str(doc.get("task")))
        except ValueError:
            known = ", ".join(k.value for k in TaskKind)
            raise MalformedTask(f"unknown task {doc.get('task')!r} (known: {known})") from None
        case_id = doc.get("case_id")
        if not isinstance(case_id, str) or not case_id:
            raise MalformedTask("a task needs a case_id")
        args = {k: v for k, v in doc.items() if k not in _RESERVED}
        if not all(isinstance(v, str) for v in args.values()):
            raise MalformedTask("a task's arguments must be strings")
        return cls(kind, case_id, {k: str(v) for k, v in args.items()})


def task_in(body: str) -> CaseTask | None:
    """The task a queue message carries, or ``None`` when it is something else (an agent's reply)."""
    doc = _object(body)
    if doc is None or "task" not in doc:
        return None
    return CaseTask.from_doc(doc)


def _object(text: str) -> dict[str, object] | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
