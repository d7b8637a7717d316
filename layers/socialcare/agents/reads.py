"""What agents read: a team's queue (by one filter at a time, or its history) and its review queue,
their own cases — each a keyed view of case summaries (``rules.views``) — one case with the newest page of its thread (older pages after it),
its audit trail, and the brand's canned responses filled in for a case."""

from __future__ import annotations

from dataclasses import replace

from socialcare.agents import access
from socialcare.agents.base import CaseActions, placeholder_values
from socialcare.agents.commands import ME, THREAD_PAGE_SIZE, PageQuery, QueueQuery
from socialcare.agents.identity import TEAM_PATTERN, Caller
from socialcare.agents.results import AuditList, CannedList, CaseDetail, CaseList, RenderedCanned, ThreadPage
from socialcare.errors import InvalidRequest, PlaceholderUnavailable
from socialcare.model.profile import render
from socialcare.model.views import CaseView, Dimension
from socialcare.rules.views import QueueFilters, team_view

NEWEST_ENTRIES = PageQuery(limit=THREAD_PAGE_SIZE)


class Reads(CaseActions):
    def list_queue(self, caller: Caller, team: str, query: QueueQuery) -> CaseList:
        """The team's cases by one filter at a time (``rules.views.team_view``: a combination no list
        serves is refused with ``UnsupportedFilter``), or its history, the latest resolved first."""
        if not TEAM_PATTERN.match(team):
            raise InvalidRequest(f"team must match {TEAM_PATTERN.pattern}")
        access.require_team(caller, team)
        filters = QueueFilters(
            statuses=query.statuses,
            channel=query.channel,
            priority=query.priority,
            assignee=caller.agent_id if query.assignee == ME else query.assignee,
            finished_from_ms=query.finished_from_ms,
            finished_until_ms=query.finished_until_ms,
        )
        return self._case_list(team_view(team, filters), query.limit, query.cursor)

    def list_review(self, caller: Caller, team: str, query: PageQuery) -> CaseList:
        """The team's cases set aside as spam or troll, the oldest first: each is restored, or resolved."""
        if not TEAM_PATTERN.match(team):
            raise InvalidRequest(f"team must match {TEAM_PATTERN.pattern}")
        access.require_team(caller, team)
        return self._case_list(CaseView(Dimension.REVIEW, team), query.limit, query.cursor)

    def my_cases(self, caller: Caller, query: PageQuery) -> CaseList:
        return self._case_list(CaseView(Dimension.MINE, caller.agent_id), query.limit, query.cursor)

    def _case_list(self, view: CaseView, limit: int, cursor: str | None) -> CaseList:
        cursors = self._deps.cursors
        start = cursors.decode(view.name, cursor) if cursor else None
        page = self._store.case_list(view, limit=limit, start=start)
        following = cursors.encode(view.name, page.next_position) if page.next_position else None
        now = self._clock()
        return CaseList(cases=page.items, next_cursor=following, now_ms=now, crises=self._crises(now))

    def get_case(self, caller: Caller, case_id: str, query: PageQuery = NEWEST_ENTRIES) -> CaseDetail:
        """The case and the newest page of its thread (``query.limit`` entries; its cursor is ignored)."""
        case = self._case(case_id)
        access.require_view(caller, case)
        now = self._clock()
        thread = self._thread_page(case_id, replace(query, cursor=None))
        return CaseDetail(case=case, thread=thread, now_ms=now, crises=self._crises(now))

    def case_thread(self, caller: Caller, case_id: str, query: PageQuery) -> ThreadPage:
        """A page of the case's thread, newest first: from ``query.cursor`` (the case view's
        ``thread_cursor`` or a page's ``next_cursor``) into older entries."""
        case = self._case(case_id)
        access.require_view(caller, case)
        return self._thread_page(case_id, query)

    def _thread_page(self, case_id: str, query: PageQuery) -> ThreadPage:
        scope = f"thread|{case_id}"
        cursors = self._deps.cursors
        start = cursors.decode(scope, query.cursor) if query.cursor else None
        page = self._store.thread_page(case_id, limit=query.limit, start=start)
        cursor = cursors.encode(scope, page.next_position) if page.next_position else None
        return ThreadPage(case_id, page.items, cursor)

    def audit_trail(self, caller: Caller, case_id: str, query: PageQuery) -> AuditList:
        case = self._case(case_id)
        access.require_view(caller, case)
        scope = f"audit|{case_id}"
        cursors = self._deps.cursors
        start = cursors.decode(scope, query.cursor) if query.cursor else None
        page = self._store.audit_trail(case_id, limit=query.limit, start=start)
        cursor = cursors.encode(scope, page.next_position) if page.next_position else None
        return AuditList(records=page.items, next_cursor=cursor)

    def canned_responses(self, caller: Caller, case_id: str) -> CannedList:
        """The brand's canned responses, filled in for this case (as they would be sent, unsigned)."""
        case = self._case(case_id)
        access.require_view(caller, case)
        profile = self._profile(case.account_id)
        values = placeholder_values(case, caller, profile)
        rendered = []
        for response in profile.canned_responses:
            try:
                rendered.append(RenderedCanned(response.response_id, response.title, render(response.text, values)))
            except PlaceholderUnavailable as exc:
                rendered.append(RenderedCanned(response.response_id, response.title, None, exc.message))
        return CannedList(case_id=case_id, responses=rendered)
