"""The case clocks and the follow-ups on Step Functions: ``StartExecution`` of their state machine
(``CaseClocks``, ``FollowUps``).

The execution's name is deterministic (``case-<case id>-<generation>``, ``follow-up-<case id>-<cycle>``).
Step Functions keeps a Standard execution's name for 90 days after it ends and answers a second start
of the same name with ``ExecutionAlreadyExists`` (or, same name and input while it runs, with the same
execution): either way the execution already exists, which is what a duplicate start must find.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from botocore.exceptions import BotoCoreError, ClientError

from socialcare.aws.wiring import lazy_client
from socialcare.errors import CaseClockNotStarted, FollowUpNotStarted, TimerNotStarted
from socialcare.model.escalation import clock_name
from socialcare.model.follow_up import follow_up_name


class NamedExecutions:
    """Starts executions of one state machine, named for a case and a number, at most once per name."""

    failure: ClassVar[type[TimerNotStarted]] = TimerNotStarted

    def name_of(self, case_id: str, number: int) -> str:
        raise NotImplementedError

    def __init__(self, state_machine_arn: str, *, client: Any | None = None) -> None:
        self._state_machine_arn = state_machine_arn
        self._client = lazy_client("stepfunctions", client)

    def start(self, case_id: str, number: int, input: Mapping[str, str]) -> None:
        name = self.name_of(case_id, number)
        try:
            self._client().start_execution(
                stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(dict(input), sort_keys=True)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return
            raise self.failure(f"{name}: {exc.response.get('Error', {}).get('Code')}") from exc
        except BotoCoreError as exc:
            raise self.failure(f"{name}: {type(exc).__name__}") from exc


class StepFunctionsCaseClocks(NamedExecutions):
    failure = CaseClockNotStarted

    def name_of(self, case_id: str, number: int) -> str:
        return clock_name(case_id, number)


class StepFunctionsFollowUps(NamedExecutions):
    failure = FollowUpNotStarted

    def name_of(self, case_id: str, number: int) -> str:
        return follow_up_name(case_id, number)
