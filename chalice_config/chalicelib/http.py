"""HTTP for the agent API: results and errors to responses, routes behind the authorizer.

Every domain error becomes a JSON ``{"code", "message"}`` response here, chosen by its type
(``ERROR_STATUS``); a 409 also carries ``"current"``, the case as it now is (shown at the injected
clock's time, as the service's own results are).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from chalice.app import Authorizer, Chalice, Response
from socialcare import errors
from socialcare.agents.results import ActionResult, EscalationResult
from socialcare.clock import Clock
from socialcare.model.case import Case
from socialcare.reports.service import ReportResult

from chalicelib import crisis_views, escalation_views, sla_views, views
from chalicelib.api_request import ApiRequest

logger = Logger(service="agent-api")

ERROR_STATUS: dict[type[errors.SocialCareError], int] = {
    errors.NotAuthenticated: 401,
    errors.Forbidden: 403,
    errors.CaseNotFound: 404,
    errors.EntryNotFound: 404,
    errors.CannedResponseNotFound: 404,
    errors.ConfigNotFound: 404,
    errors.RequestTooLarge: 413,
    errors.InvalidRequest: 400,
    errors.UnsupportedFilter: 400,
    errors.StateConflict: 409,
    errors.ReasonRequired: 422,
    errors.UnansweredCustomerMessage: 422,
    errors.ReplyNotPossible: 422,
    errors.OutsideMessagingWindow: 422,
    errors.UnknownPlaceholder: 422,
    errors.PlaceholderUnavailable: 422,
    errors.IdempotencyKeyReused: 422,
    errors.NoOpenTime: 422,
    errors.CaseIsSensitive: 422,
    errors.ReplyNotQueued: 503,
    errors.DepartmentNotFound: 404,
    errors.EscalationNotFound: 404,
    errors.EscalationClosed: 410,
    errors.AnswerLinkInvalid: 403,
    errors.AnswerLinkExpired: 410,
    errors.EscalationNotStarted: 503,
}

REPLAYED_HEADER = "Idempotent-Replayed"
REPORT_SOURCE_HEADER = "Report-Source"  # stored: as the daily run stored it; computed: for this request


def status_of(exc: errors.SocialCareError) -> int:
    for klass in type(exc).__mro__:
        if klass in ERROR_STATUS:
            return ERROR_STATUS[klass]
    return 400


def error_response(exc: errors.SocialCareError, now_ms: int) -> Response:
    status = status_of(exc)
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if isinstance(exc, errors.InvalidConfig):
        body["field"], body["reason"] = exc.field, exc.reason
    current = getattr(exc, "current", None)
    if status == 409 and isinstance(current, Case):
        body["current"] = views.case_view(current, now_ms)
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    if isinstance(current, Case):
        headers["ETag"] = f'"{current.version}"'
    elif isinstance(exc, errors.ConfigVersionConflict) and isinstance(current, int):
        headers["ETag"] = f'"{current}"'  # the configuration's version now
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=headers)


def render(result: object) -> Response:
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    status = 200
    if isinstance(result, ActionResult):
        headers["ETag"] = f'"{result.case.version}"'
        if result.accepted_for_delivery:
            status = 202
        if result.replayed:
            headers[REPLAYED_HEADER] = "true"
    elif escalation_views.handles(result):
        return _escalation_response(result, headers)
    elif crisis_views.handles(result):
        version = crisis_views.version_of(result)
        if version is not None:
            headers["ETag"] = f'"{version}"'
        body = json.dumps(crisis_views.document(result), ensure_ascii=False)
        return Response(body=body, status_code=crisis_views.status_of(result), headers=headers)
    elif isinstance(result, ReportResult):
        headers[REPORT_SOURCE_HEADER] = "stored" if result.stored else "computed"
        return Response(body=json.dumps(result.document, ensure_ascii=False), headers=headers)
    elif sla_views.handles(result):
        version = sla_views.version_of(result)
        if version is not None:
            headers["ETag"] = f'"{version}"'
        return Response(body=json.dumps(sla_views.document(result), ensure_ascii=False), headers=headers)
    elif isinstance(getattr(result, "case", None), Case):
        headers["ETag"] = f'"{result.case.version}"'  # type: ignore[attr-defined]
    return Response(body=json.dumps(views.document(result), ensure_ascii=False), status_code=status, headers=headers)


def _escalation_response(result: object, headers: dict[str, str | list[str]]) -> Response:
    """An escalation made is 202 (the department is asked next), with the case's ETag."""
    status = 200
    if isinstance(result, EscalationResult):
        status = 202
        headers["ETag"] = f'"{result.case.version}"'
        if result.replayed:
            headers[REPLAYED_HEADER] = "true"
    body = json.dumps(escalation_views.document(result), ensure_ascii=False)
    return Response(body=body, status_code=status, headers=headers)


View = Callable[..., object]


class Routes:
    """``app.route`` with the Cognito authorizer on every route (but the department answer links) and
    domain errors mapped in one place.

    A view receives its path parameters and ``request`` (an ``ApiRequest``) and returns a service
    result; rendering it, and turning a ``SocialCareError`` into its response, happens here.
    """

    def __init__(self, app: Chalice, authorizer: Authorizer, *, clock: Clock) -> None:
        self._app = app
        self._authorizer = authorizer
        self._clock = clock

    def __call__(self, path: str, method: str, *, public: bool = False) -> Callable[[View], View]:
        """``public``: no authorizer — only the department answer links, whose token is their credential."""

        def register(view: View) -> View:
            @functools.wraps(view)
            def handle(**params: str) -> Response:
                request = ApiRequest(self._app.current_request)
                try:
                    return render(view(request=request, **params))
                except errors.SocialCareError as exc:
                    return error_response(exc, self._clock())

            self._app.route(path, methods=[method], authorizer=None if public else self._authorizer)(handle)
            return view

        return register


def install_middleware(app: Chalice) -> None:
    """Chalice's own errors (405, 415, 500) in the API's error format, and one log line per request."""

    @app.middleware("http")
    def shape_and_log(request: Any, get_response: Callable[[Any], Response]) -> Response:
        # A duration for the log, not a time of day: the monotonic timer, not the (injected) clock.
        started = time.monotonic()
        response = get_response(request)
        body = response.body
        if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
            response.body = json.dumps({"code": _snake(str(body["Code"])), "message": str(body.get("Message", ""))})
            response.headers["Content-Type"] = "application/json"
        context = (request.context or {}) if request is not None else {}
        logger.set_correlation_id(context.get("requestId"))
        logger.info(
            "api request",
            extra={
                "correlation_id": context.get("requestId"),
                "method": context.get("httpMethod"),
                "route": context.get("resourcePath"),
                "status": response.status_code,
                "agent_id": ((context.get("authorizer") or {}).get("claims") or {}).get("cognito:username"),
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


def _snake(name: str) -> str:
    name = name.removesuffix("Error")
    return "".join(f"_{ch.lower()}" if ch.isupper() and i else ch.lower() for i, ch in enumerate(name))
