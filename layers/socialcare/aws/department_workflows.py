"""The department escalation state machine on Step Functions (``DepartmentWorkflows``,
``DepartmentCallbacks``): StartExecution of ``dept-<escalation id>``, and SendTaskSuccess /
SendTaskFailure with a round's task token.

A second start of the same name is ``ExecutionAlreadyExists`` (or, with the same input while it runs,
the same execution): the escalation's machine exists, which is what a retried request must find. A
token whose wait is over — its round timed out, the execution ended — is ``TaskTimedOut``,
``InvalidToken`` or ``TaskDoesNotExist``: reported as False, never raised, because the answer is stored
already and the next round's request completes the wait (``departments.requests``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from socialcare.aws.wiring import lazy_client
from socialcare.errors import EscalationNotStarted

_WAIT_OVER = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


class StepFunctionsCallbacks:
    def __init__(self, *, client: Any | None = None) -> None:
        self._client = lazy_client("stepfunctions", client)

    def succeed(self, task_token: str, output: Mapping[str, str]) -> bool:
        return self._answer(
            lambda: self._client().send_task_success(taskToken=task_token, output=json.dumps(dict(output)))
        )

    def fail(self, task_token: str, *, error: str, cause: str) -> bool:
        return self._answer(lambda: self._client().send_task_failure(taskToken=task_token, error=error, cause=cause))

    @staticmethod
    def _answer(call: Any) -> bool:
        try:
            call()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _WAIT_OVER:
                return False
            raise
        return True


class StepFunctionsDepartmentWorkflows(StepFunctionsCallbacks):
    def __init__(self, state_machine_arn: str, *, client: Any | None = None) -> None:
        super().__init__(client=client)
        self._state_machine_arn = state_machine_arn

    def start(self, name: str, input: Mapping[str, object]) -> None:
        try:
            self._client().start_execution(
                stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(dict(input), sort_keys=True)
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ExecutionAlreadyExists":
                return
            raise EscalationNotStarted(f"escalation {name}: {code}; retry with the same Idempotency-Key") from exc
        except BotoCoreError as exc:
            raise EscalationNotStarted(
                f"escalation {name}: {type(exc).__name__}; retry with the same Idempotency-Key"
            ) from exc
