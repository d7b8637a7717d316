"""Case clocks on Step Functions: ``StartExecution`` of the case-clock state machine (``CaseClocks``).

The execution's name is the clock's (``case-<case id>-<generation>``). Step Functions keeps a
Standard execution's name for 90 days after it ends and answers a second start of the same name with
``ExecutionAlreadyExists`` (or, same name and input while it runs, with the same execution): either
way the clock already exists, which is what a duplicate start must find.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from socialcare.aws.wiring import lazy_client
from socialcare.errors import CaseClockNotStarted
from socialcare.model.escalation import clock_name


class StepFunctionsCaseClocks:
    def __init__(self, state_machine_arn: str, *, client: Any | None = None) -> None:
        self._state_machine_arn = state_machine_arn
        self._client = lazy_client("stepfunctions", client)

    def start(self, case_id: str, generation: int, input: Mapping[str, str]) -> None:
        name = clock_name(case_id, generation)
        try:
            self._client().start_execution(
                stateMachineArn=self._state_machine_arn, name=name, input=json.dumps(dict(input), sort_keys=True)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return
            raise CaseClockNotStarted(f"clock {name}: {exc.response.get('Error', {}).get('Code')}") from exc
        except BotoCoreError as exc:
            raise CaseClockNotStarted(f"clock {name}: {type(exc).__name__}") from exc
