"""Who may do what. One function per kind of action, each raising a ``Forbidden`` subclass.

- Everyone sees and works only the cases and queues of their own teams; admins see every team.
- Agents claim unowned cases, release their own, and reply, add notes and change the status of
  cases that are theirs or still unowned. A case owned by a colleague is read-only for an agent
  except for internal notes (a note is how a colleague helps).
- Leads do everything agents do on their teams' cases, whoever owns them, and assign and reassign
  those cases to anyone.
- Admins do everything, and alone manage the brand profiles (signatures, canned responses).
- The configuration (SLA policies, business calendars, departments, routing rules): admins change
  it, leads and admins read it; a case's SLA view is for whoever may read the case.
- Re-routing a case (another team, priority, tags): leads and admins, any case of their teams; an
  agent, only a case they own (they claimed it, so they know it). Marking a case spam or troll,
  restoring it from the review queue, and hiding a customer's comment on the platform are work on the
  case (``require_work``).
- Crisis mode (declaring, listing and ending crises; releasing or discarding the automated messages
  they hold): admins only. Everyone sees the active crises on the cases they may read.
"""

from __future__ import annotations

from socialcare.agents.identity import Caller
from socialcare.errors import ForbiddenRole, ForbiddenTeam, NotCaseOwner
from socialcare.model.case import Case


def require_team(caller: Caller, team: str) -> None:
    if not caller.in_team(team):
        raise ForbiddenTeam(f"{caller.agent_id} is not in team {team}")


def require_view(caller: Caller, case: Case) -> None:
    """Read the case, its thread and audit trail; add an internal note."""
    require_team(caller, case.team)


def require_work(caller: Caller, case: Case) -> None:
    """Reply, move to private, change the status: the owner, anyone while unowned, leads, admins."""
    require_team(caller, case.team)
    if caller.is_lead_or_admin or case.owner is None or case.owner == caller.agent_id:
        return
    raise NotCaseOwner(f"case {case.case_id} belongs to {case.owner}; ask them or a team lead")


def require_route(caller: Caller, case: Case) -> None:
    require_team(caller, case.team)
    if caller.is_lead_or_admin or (case.owner is not None and case.owner == caller.agent_id):
        return
    raise NotCaseOwner(f"agents re-route only cases they own; claim case {case.case_id} first or ask a team lead")


def require_release(caller: Caller, case: Case) -> None:
    require_team(caller, case.team)
    if caller.is_lead_or_admin or case.owner in (None, caller.agent_id):
        return
    raise NotCaseOwner(f"case {case.case_id} belongs to {case.owner}; only they or a team lead can release it")


def require_assign(caller: Caller, case: Case, assignee: str) -> None:
    """Leads and admins assign anyone; an agent may only take an unowned case for themselves."""
    require_team(caller, case.team)
    if caller.is_lead_or_admin:
        return
    if assignee != caller.agent_id:
        raise ForbiddenRole("only team leads and admins assign cases to others; agents claim cases for themselves")


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise ForbiddenRole("only admins manage brand profiles")


def require_config_read(caller: Caller) -> None:
    if not caller.is_lead_or_admin:
        raise ForbiddenRole("only team leads and admins read the configuration (SLA, departments, routing rules)")


def require_config_write(caller: Caller) -> None:
    if not caller.is_admin:
        raise ForbiddenRole("only admins change the configuration (SLA, departments, routing rules)")


def require_crisis_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise ForbiddenRole("only admins declare and end crises and release or discard the messages they hold")
