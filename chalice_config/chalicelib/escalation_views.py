"""The agent API's JSON documents of department escalations. Times as in ``views`` (ISO 8601 UTC with
milliseconds, or null). Never the round's callback token; the answer link's page shows the question
and who asks it, nothing of the case."""

from __future__ import annotations

from typing import Any

from socialcare.agents.results import AnswerLinkView, EscalationAnswered, EscalationList, EscalationResult
from socialcare.model.department_escalation import DepartmentEscalation

from chalicelib.views import case_view, entry_view, iso


def handles(result: object) -> bool:
    return isinstance(result, EscalationResult | EscalationList | EscalationAnswered | AnswerLinkView)


def document(result: object) -> dict[str, Any]:
    if isinstance(result, EscalationResult):
        doc = {
            "case": case_view(result.case, result.now_ms),
            "escalation": escalation_view(result.escalation),
            "entry": entry_view(result.entry),
        }
        return {**doc, "replayed": True} if result.replayed else doc
    if isinstance(result, EscalationList):
        return {"case_id": result.case_id, "escalations": [escalation_view(e) for e in result.escalations]}
    if isinstance(result, EscalationAnswered):
        return {"escalation": escalation_view(result.escalation), "callback_completed": result.callback_completed}
    if isinstance(result, AnswerLinkView):
        return link_view(result)
    raise TypeError(f"no document for {type(result).__name__}")


def escalation_view(e: DepartmentEscalation) -> dict[str, Any]:
    answer = e.answer
    return {
        "escalation_id": e.escalation_id,
        "case_id": e.case_id,
        "department": e.department_id,
        "department_name": e.department_name,
        "question": e.question,
        "status": e.status.value,
        "asked_by": e.asked_by,
        "asked_by_name": e.asked_by_name,
        "asked_at": iso(e.asked_at_ms),
        "agent": e.agent,
        "update_after_s": e.update_after_s,
        "manager_after_rounds": e.manager_after_rounds,
        "round": e.token_round,
        "answer": (
            {
                "text": answer.text,
                "answered_by": answer.by,
                "answered_by_name": answer.by_name,
                "via": answer.via.value,
                "answered_at": iso(answer.at_ms),
            }
            if answer
            else None
        ),
        "closed_at": iso(e.closed_at_ms),
    }


def link_view(view: AnswerLinkView) -> dict[str, Any]:
    e = view.escalation
    return {
        "escalation_id": e.escalation_id,
        "department": e.department_id,
        "department_name": e.department_name,
        "question": e.question,
        "asked_by_name": e.asked_by_name,
        "asked_at": iso(e.asked_at_ms),
        "expires_at": iso(view.expires_at_ms),
        "answer_with": 'POST this address with {"text": "..."} (and optionally "name")',
    }
