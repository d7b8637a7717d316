"""The agent API (Chalice): queues, cases, claims, replies, notes, status changes, audit, profiles,
a case's SLA, triage by hand (re-route, mark, restore, hide a comment, the review queue), the
configuration (SLA, departments, routing rules), department escalations and their answers, crisis
mode, and the reports (leads and admins).

Every route is behind the Cognito user pool authorizer but the two of a department's answer link
(``/answers/{token}``), whose signed token is the credential; each is one call into the core's
``AgentService`` (``socialcare.agents``). The routes, their parameters, bodies and errors are
documented in ``openapi.yaml`` beside this file, which the tests hold the app to.

The user pool's ARN is deployment metadata Chalice needs when it packages the API: it comes from
``COGNITO_USER_POOL_ARN`` at packaging time, and the CDK app replaces it with the real pool's ARN
in the packaged API definition (securityDefinitions.<AGENT_API_AUTHORIZER_NAME>).
"""

from __future__ import annotations

import os

from chalice.app import Chalice, CognitoUserPoolAuthorizer
from chalicelib import wiring
from chalicelib.api_request import ApiRequest
from chalicelib.commands import (
    parse_answer,
    parse_assign,
    parse_empty,
    parse_entry_id,
    parse_escalate,
    parse_held_message,
    parse_mark,
    parse_move_to_private,
    parse_note,
    parse_reason,
    parse_reply,
    parse_route,
    parse_status,
)
from chalicelib.http import Routes, install_middleware
from chalicelib.queries import parse_case_query, parse_page_query, parse_queue_query, parse_thread_query
from chalicelib.reports import parse_report_query
from chalicelib.wiring import report_service, service, sla_service
from socialcare import constants as c
from socialcare.agents.commands import QUEUE_PAGE_SIZE

PLACEHOLDER_USER_POOL_ARN = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_placeholder"

app = Chalice(app_name=c.AGENT_API_APP_NAME, configure_logs=False)
authorizer = CognitoUserPoolAuthorizer(
    c.AGENT_API_AUTHORIZER_NAME,
    provider_arns=[os.environ.get(c.ENV_COGNITO_USER_POOL_ARN) or PLACEHOLDER_USER_POOL_ARN],
    header="Authorization",
)
install_middleware(app)
route = Routes(app, authorizer, clock=wiring.clock)


@route("/me", "GET")
def whoami(request: ApiRequest) -> object:
    return request.caller


@route("/me/cases", "GET")
def my_cases(request: ApiRequest) -> object:
    return service().my_cases(request.caller, parse_page_query(request.query, default_limit=QUEUE_PAGE_SIZE))


@route("/queues/{team}/cases", "GET")
def list_queue(request: ApiRequest, team: str) -> object:
    return service().list_queue(request.caller, team, parse_queue_query(request.query))


@route("/queues/{team}/review", "GET")
def list_review(request: ApiRequest, team: str) -> object:
    return service().list_review(request.caller, team, parse_page_query(request.query, default_limit=QUEUE_PAGE_SIZE))


@route("/cases/{case_id}", "GET")
def get_case(request: ApiRequest, case_id: str) -> object:
    return service().get_case(request.caller, case_id, parse_case_query(request.query))


@route("/cases/{case_id}/thread", "GET")
def case_thread(request: ApiRequest, case_id: str) -> object:
    return service().case_thread(request.caller, case_id, parse_thread_query(request.query))


@route("/cases/{case_id}/audit", "GET")
def audit_trail(request: ApiRequest, case_id: str) -> object:
    return service().audit_trail(request.caller, case_id, parse_page_query(request.query))


@route("/cases/{case_id}/canned-responses", "GET")
def canned_responses(request: ApiRequest, case_id: str) -> object:
    return service().canned_responses(request.caller, case_id)


@route("/cases/{case_id}/claim", "POST")
def claim(request: ApiRequest, case_id: str) -> object:
    parse_empty(request.body(allow_empty=True), "a claim")
    return service().claim(request.caller, case_id, expected_version=request.expected_version)


@route("/cases/{case_id}/release", "POST")
def release(request: ApiRequest, case_id: str) -> object:
    parse_empty(request.body(allow_empty=True), "a release")
    return service().release(request.caller, case_id, expected_version=request.expected_version)


@route("/cases/{case_id}/assign", "POST")
def assign(request: ApiRequest, case_id: str) -> object:
    command = parse_assign(request.body())
    return service().assign(request.caller, case_id, command, expected_version=request.expected_version)


@route("/cases/{case_id}/status", "POST")
def change_status(request: ApiRequest, case_id: str) -> object:
    command = parse_status(request.body())
    return service().change_status(request.caller, case_id, command, expected_version=request.expected_version)


@route("/cases/{case_id}/replies", "POST")
def reply(request: ApiRequest, case_id: str) -> object:
    return service().reply(request.caller, case_id, parse_reply(request.body()), **request.write_conditions)


@route("/cases/{case_id}/move-to-private", "POST")
def move_to_private(request: ApiRequest, case_id: str) -> object:
    return service().move_to_private(
        request.caller, case_id, parse_move_to_private(request.body(allow_empty=True)), **request.write_conditions
    )


@route("/cases/{case_id}/notes", "POST")
def add_note(request: ApiRequest, case_id: str) -> object:
    return service().add_note(request.caller, case_id, parse_note(request.body()), **request.write_conditions)


@route("/cases/{case_id}/route", "POST")
def reroute(request: ApiRequest, case_id: str) -> object:
    command = parse_route(request.body())
    return service().reroute(request.caller, case_id, command, expected_version=request.expected_version)


@route("/cases/{case_id}/mark", "POST")
def mark(request: ApiRequest, case_id: str) -> object:
    command = parse_mark(request.body())
    return service().mark(request.caller, case_id, command, expected_version=request.expected_version)


@route("/cases/{case_id}/restore", "POST")
def restore(request: ApiRequest, case_id: str) -> object:
    command = parse_reason(request.body(allow_empty=True), "a restore")
    return service().restore(request.caller, case_id, command, expected_version=request.expected_version)


@route("/cases/{case_id}/entries/{entry_id}/hide", "POST")
def hide_comment(request: ApiRequest, case_id: str, entry_id: str) -> object:
    command = parse_reason(request.body(allow_empty=True), "a comment hide")
    return service().hide_comment(
        request.caller, case_id, parse_entry_id(entry_id), command, expected_version=request.expected_version
    )


@route("/accounts/{account_id}/profile", "GET")
def get_profile(request: ApiRequest, account_id: str) -> object:
    return service().get_profile(request.caller, account_id)


@route("/accounts/{account_id}/profile", "PUT")
def put_profile(request: ApiRequest, account_id: str) -> object:
    return service().put_profile(request.caller, account_id, request.body())


@route("/cases/{case_id}/sla", "GET")
def case_sla(request: ApiRequest, case_id: str) -> object:
    return sla_service().case_sla(request.caller, case_id)


@route("/admin/sla/policies", "GET")
def get_sla_policies(request: ApiRequest) -> object:
    return sla_service().get_policies(request.caller)


@route("/admin/sla/policies", "PUT")
def put_sla_policies(request: ApiRequest) -> object:
    return sla_service().put_policies(request.caller, request.body(), expected_version=request.expected_version)


@route("/admin/sla/calendars", "GET")
def list_calendars(request: ApiRequest) -> object:
    return sla_service().list_calendars(request.caller)


@route("/admin/sla/calendars/{name}", "GET")
def get_calendar(request: ApiRequest, name: str) -> object:
    return sla_service().get_calendar(request.caller, name)


@route("/admin/sla/calendars/{name}", "PUT")
def put_calendar(request: ApiRequest, name: str) -> object:
    return sla_service().put_calendar(request.caller, name, request.body(), expected_version=request.expected_version)


@route("/admin/departments", "GET")
def list_departments(request: ApiRequest) -> object:
    return sla_service().list_departments(request.caller)


@route("/admin/departments/{department_id}", "GET")
def get_department(request: ApiRequest, department_id: str) -> object:
    return sla_service().get_department(request.caller, department_id)


@route("/admin/departments/{department_id}", "PUT")
def put_department(request: ApiRequest, department_id: str) -> object:
    return sla_service().put_department(
        request.caller, department_id, request.body(), expected_version=request.expected_version
    )


@route("/admin/routing/rules", "GET")
def get_routing_rules(request: ApiRequest) -> object:
    return sla_service().get_routing_rules(request.caller)


@route("/admin/routing/rules", "PUT")
def put_routing_rules(request: ApiRequest) -> object:
    return sla_service().put_routing_rules(request.caller, request.body(), expected_version=request.expected_version)


@route("/cases/{case_id}/escalations", "POST")
def escalate(request: ApiRequest, case_id: str) -> object:
    return service().escalate(request.caller, case_id, parse_escalate(request.body()), **request.write_conditions)


@route("/cases/{case_id}/escalations", "GET")
def list_escalations(request: ApiRequest, case_id: str) -> object:
    return service().list_escalations(request.caller, case_id)


@route("/escalations/{escalation_id}/answer", "POST")
def answer_escalation(request: ApiRequest, escalation_id: str) -> object:
    return service().answer_escalation(request.caller, escalation_id, parse_answer(request.body(), named=False))


@route("/answers/{token}", "GET", public=True)
def view_answer_link(request: ApiRequest, token: str) -> object:
    return service().answer_link(token)


@route("/answers/{token}", "POST", public=True)
def answer_by_link(request: ApiRequest, token: str) -> object:
    return service().answer_by_link(token, parse_answer(request.body(), named=True))


@route("/admin/crises", "GET")
def list_crises(request: ApiRequest) -> object:
    return service().list_crises(request.caller)


@route("/admin/crises", "POST")
def declare_crisis(request: ApiRequest) -> object:
    return service().declare_crisis(request.caller, request.body())


@route("/admin/crises/{crisis_id}", "GET")
def get_crisis(request: ApiRequest, crisis_id: str) -> object:
    return service().get_crisis(request.caller, crisis_id)


@route("/admin/crises/{crisis_id}/end", "POST")
def end_crisis(request: ApiRequest, crisis_id: str) -> object:
    parse_empty(request.body(allow_empty=True), "ending a crisis")
    return service().end_crisis(request.caller, crisis_id, expected_version=request.expected_version)


@route("/admin/crises/{crisis_id}/held", "GET")
def held_messages(request: ApiRequest, crisis_id: str) -> object:
    return service().held_messages(request.caller, crisis_id, parse_page_query(request.query))


@route("/admin/crises/{crisis_id}/held/release", "POST")
def release_held(request: ApiRequest, crisis_id: str) -> object:
    return service().release_held(request.caller, crisis_id, *parse_held_message(request.body()))


@route("/admin/crises/{crisis_id}/held/discard", "POST")
def discard_held(request: ApiRequest, crisis_id: str) -> object:
    return service().discard_held(request.caller, crisis_id, *parse_held_message(request.body()))


@route("/reports/accountability", "GET")
def accountability_report(request: ApiRequest) -> object:
    return report_service().accountability(request.caller, **parse_report_query(request.query))


@route("/reports/marketing", "GET")
def marketing_summary(request: ApiRequest) -> object:
    return report_service().marketing(request.caller, **parse_report_query(request.query))
