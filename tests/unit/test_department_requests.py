"""The department answer links (``rules.answer_links``) and the outbound function's department request
(``departments.requests``) on the in-memory twins: what is stored, who is told, how a wait that needs no
asking ends, and what the logs say (never the question, the link or a token)."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from socialcare.agents.cursor import CursorCodec
from socialcare.departments.requests import DepartmentRequests, LinkSettings
from socialcare.errors import AnswerLinkExpired, AnswerLinkInvalid
from socialcare.memory.agents import MemoryAgentStore
from socialcare.memory.config_store import MemoryConfigStore
from socialcare.memory.departments import MemoryDepartmentWorkflows, RecordedDepartmentNotices
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import CaseStatus
from socialcare.model.config import ConfigKind, StoredConfig
from socialcare.model.department_escalation import (
    CLOSED_ERROR,
    AnswerVia,
    DepartmentAnswer,
    DepartmentEscalation,
    EscalationStatus,
)
from socialcare.model.events import Channel, Customer
from socialcare.model.tasks import CaseTask, TaskKind
from socialcare.ports import AgentChange, EscalationWrite
from socialcare.rules.answer_links import AnswerLinks, answer_url, link_key

from tests.case_support import care_case
from tests.sla_config_support import BILLING

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000
KEY = b"api-secret-key-0123456789abcdef"
CASE = "01JGZ8Q5K2M3N4P5Q6R7S8T001"
ESC = f"{CASE}-01JGZ8Q5K2M3N4P5Q6R7S8E001"
BASE = "https://api.example.test/prod/"


# --- links ------------------------------------------------------------------------------------------
def test_a_link_verifies_until_it_expires() -> None:
    links = AnswerLinks(link_key(KEY))
    token = links.issue(ESC, 2, T0 + 60_000)
    claims = links.verify(token, now_ms=T0)
    assert (claims.escalation_id, claims.round, claims.expires_at_ms) == (ESC, 2, T0 + 60_000)
    with pytest.raises(AnswerLinkExpired):
        links.verify(token, now_ms=T0 + 60_000)
    assert answer_url(BASE, token) == f"https://api.example.test/prod/answers/{token}"


@pytest.mark.parametrize("change", ["payload", "mac", "truncated", "garbage", "other key", "cursor"])
def test_a_link_not_signed_here_is_invalid(change: str) -> None:
    links = AnswerLinks(link_key(KEY))
    token = links.issue(ESC, 0, T0 + 60_000)
    body, mac = token.split(".")
    forged = {
        "payload": links.issue(ESC.replace("E001", "E002"), 0, T0 + 60_000).split(".")[0] + "." + mac,
        "mac": body + "." + mac[::-1],
        "truncated": token[:-3],
        "garbage": "not a link",
        "other key": AnswerLinks(link_key(b"another-key-0123456789abcdef")).issue(ESC, 0, T0 + 60_000),
        # a cursor is signed with the API's key itself, never the links' key derived from it
        "cursor": CursorCodec(KEY).encode("scope", {"e": ESC}),
    }[change]
    with pytest.raises(AnswerLinkInvalid):
        links.verify(forged, now_ms=T0)


# --- the department request -----------------------------------------------------------------------
class Rig:
    def __init__(self, *, department: bool = True) -> None:
        self.store = MemoryAgentStore()
        self.config = MemoryConfigStore()
        self.workflows = MemoryDepartmentWorkflows()
        self.notices = RecordedDepartmentNotices()
        self.links = AnswerLinks(link_key(KEY))
        if department:
            audit = AuditRecord("r1", T0, "root", "admin", AuditAction.DEPARTMENT_UPDATED, subject="department/billing")
            self.config.save_config(
                StoredConfig(ConfigKind.DEPARTMENT, "billing", 1, {**BILLING, "id": "billing"}, T0, "root"), audit
            )
        self.case = care_case(CASE, Channel.MESSENGER, "page-1", Customer("psid-1"), T0)
        self.store.put_case(self.case)
        self.escalation = DepartmentEscalation(
            ESC, CASE, "billing", "Billing (then)", "Charged twice?", "alice", "Alice Smith", T0, "alice", "care",
            86_400, 2, {"name": "Mia"},
        )  # fmt: skip
        after = replace(self.case, version=2, status=CaseStatus.PENDING_INTERNAL)
        audit = AuditRecord("r2", T0, "alice", "agent", AuditAction.ESCALATED, case_id=CASE, case_version=2)
        self.store.commit(
            AgentChange(self.case, after, audit, escalation=EscalationWrite(self.escalation, new=True)), now_ms=T0
        )
        self.case = after
        self.requests = DepartmentRequests(
            self.store, self.config, self.workflows, self.notices, self.links, LinkSettings(BASE), clock=lambda: T0
        )

    def run(self, round_: int, token: str | None = None) -> str:
        token = token or f"token-{round_}"
        self.workflows.waiting.add(token)
        args = {"escalation_id": ESC, "task_token": token, "round": str(round_)}
        return self.requests.run(CaseTask(TaskKind.DEPARTMENT_REQUEST, CASE, args))

    def close(self, status: EscalationStatus, answer: DepartmentAnswer | None = None) -> None:
        closed = replace(self.escalation, status=status, answer=answer, closed_at_ms=T0 if answer is None else None)
        after = replace(self.case, version=self.case.version + 1)
        audit = AuditRecord(
            "r3", T0, "felix", "agent", AuditAction.ESCALATION_ANSWERED, case_id=CASE, case_version=after.version
        )
        self.store.commit(AgentChange(self.case, after, audit, escalation=EscalationWrite(closed)), now_ms=T0)


def test_an_open_escalation_stores_the_token_and_the_department_is_told_with_a_link() -> None:
    rig = Rig()
    assert rig.run(0) == "asked"
    stored = rig.store.escalation(CASE, ESC)
    assert stored is not None
    assert (stored.task_token, stored.token_round) == ("token-0", 0)
    [notice] = rig.notices.sent
    assert (notice.department_name, notice.question, notice.asked_by_name, notice.round) == (
        "Billing", "Charged twice?", "Alice Smith", 0,
    )  # fmt: skip
    assert [c["name"] for c in notice.contacts] == ["Billing desk"]
    token = notice.link.removeprefix("https://api.example.test/prod/answers/")
    assert rig.links.verify(token, now_ms=T0).escalation_id == ESC
    assert notice.link_expires_at_ms == T0 + 72 * 3_600_000
    assert rig.workflows.succeeded == rig.workflows.failed == []


def test_an_older_rounds_request_delivered_late_changes_nothing() -> None:
    rig = Rig()
    rig.run(0)
    rig.run(1)
    assert rig.run(0, "token-0-again") == "skipped: a round after 0 asked already"
    stored = rig.store.escalation(CASE, ESC)
    assert stored is not None
    assert stored.task_token == "token-1"
    assert len(rig.notices.sent) == 2


def test_an_escalation_answered_before_its_round_completes_the_wait_and_tells_nobody() -> None:
    rig = Rig()
    answer = DepartmentAnswer("Refunded", "felix", "Felix", AnswerVia.API, T0)
    rig.close(EscalationStatus.ANSWERED, answer)
    assert rig.run(1) == "completed: answered before this round"
    assert rig.workflows.succeeded == [
        ("token-1", {"answered_by": "felix", "answered_at": "2026-01-01T09:00:00Z", "via": "api"})
    ]
    assert rig.notices.sent == []


def test_a_cancelled_or_unknown_escalation_ends_the_wait() -> None:
    rig = Rig()
    rig.close(EscalationStatus.CANCELLED)
    assert rig.run(0) == "ended: cancelled"
    unknown = CaseTask(
        TaskKind.DEPARTMENT_REQUEST, CASE, {"escalation_id": ESC[:-1] + "9", "task_token": "t", "round": "0"}
    )
    assert rig.requests.run(unknown) == "ended: no such escalation"
    assert [error for _, error in rig.workflows.failed] == [CLOSED_ERROR, CLOSED_ERROR]
    assert rig.notices.sent == []


def test_a_department_no_longer_configured_is_still_asked_by_the_name_it_had() -> None:
    rig = Rig(department=False)
    assert rig.run(0) == "asked"
    [notice] = rig.notices.sent
    assert (notice.department_name, notice.contacts) == ("Billing (then)", ())


def test_the_log_names_the_request_never_its_question_link_or_token(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig()
    with caplog.at_level(logging.DEBUG, logger="socialcare"):
        rig.run(0)
    [notice] = rig.notices.sent
    text = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "department request" in text
    for secret in ("Charged twice?", notice.link, "token-0"):
        assert secret not in text
