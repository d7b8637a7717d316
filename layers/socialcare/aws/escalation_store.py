"""A case's department escalations on DynamoDB (``EscalationReads``, ``EscalationTokens``).

Each escalation is one item under its case, ``CASE#<case id>`` / ``ESC#<escalation id>``: one keyed
Query lists a case's escalations, a GetItem reads one (its id names its case). It is created, answered
and cancelled inside the agent action that does it (``agent_commit``, with ``escalation_put``); the
outbound function only stores each round's callback token on it (``store_task_token``, a conditional
UpdateItem). The token is kept for the one who completes the callback and is never returned by the API.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from socialcare.aws import keys
from socialcare.aws.agent_table import AgentTable
from socialcare.aws.items import Item, item_key, n, s
from socialcare.aws.paging import conditional_put
from socialcare.model.department_escalation import (
    AnswerVia,
    DepartmentAnswer,
    DepartmentEscalation,
    EscalationStatus,
)
from socialcare.ports import EscalationWrite


class EscalationStore(AgentTable):
    def escalation(self, case_id: str, escalation_id: str) -> DepartmentEscalation | None:
        key = item_key(keys.case_pk(case_id), keys.escalation_sk(escalation_id))
        item = self._client().get_item(TableName=self._table, Key=key, ConsistentRead=True).get("Item")
        return None if item is None else item_to_department_escalation(item)

    def escalations(self, case_id: str) -> list[DepartmentEscalation]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :esc)",
            "ExpressionAttributeValues": {":pk": s(keys.case_pk(case_id)), ":esc": s(keys.ESCALATION_PREFIX)},
            "ConsistentRead": True,
        }
        found: list[DepartmentEscalation] = []
        while True:
            resp = self._client().query(**params)
            found += [item_to_department_escalation(item) for item in resp.get("Items", [])]
            if "LastEvaluatedKey" not in resp:
                return found
            params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def store_task_token(self, case_id: str, escalation_id: str, *, token: str, round: int, at_ms: int) -> bool:
        try:
            self._client().update_item(
                TableName=self._table,
                Key=item_key(keys.case_pk(case_id), keys.escalation_sk(escalation_id)),
                UpdateExpression="SET task_token = :token, token_round = :round, token_at_ms = :at",
                ConditionExpression="#status = :open AND (attribute_not_exists(token_round) OR token_round <= :round)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":token": s(token),
                    ":round": n(round),
                    ":at": n(at_ms),
                    ":open": s(EscalationStatus.OPEN.value),
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True


def escalation_write(table: str, write: EscalationWrite) -> dict[str, Any]:
    """The TransactWriteItems entry of an escalation written with an agent action: a new one, only if
    its id is unused; else its status and answer, only while it is open (so it is answered or cancelled
    once) — an update, so a round's token the outbound function stored meanwhile stays."""
    e = write.escalation
    if write.new:
        return conditional_put(table, department_escalation_item(e), "attribute_not_exists(#pk)")
    values: dict[str, Any] = {":status": s(e.status.value), ":open": s(EscalationStatus.OPEN.value)}
    sets = ["#status = :status"]
    if e.answer is not None:
        values[":answer"] = _answer_attribute(e.answer)
        sets.append("answer = :answer")
    if e.closed_at_ms is not None:
        values[":closed"] = n(e.closed_at_ms)
        sets.append("closed_at_ms = :closed")
    return {
        "Update": {
            "TableName": table,
            "Key": item_key(keys.case_pk(e.case_id), keys.escalation_sk(e.escalation_id)),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "#status = :open",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": values,
        }
    }


def _answer_attribute(a: DepartmentAnswer) -> dict[str, Any]:
    return {
        "M": {"text": s(a.text), "by": s(a.by), "by_name": s(a.by_name), "via": s(a.via.value), "at_ms": n(a.at_ms)}
    }


def department_escalation_item(escalation: DepartmentEscalation) -> Item:
    e = escalation
    item: Item = {
        **item_key(keys.case_pk(e.case_id), keys.escalation_sk(e.escalation_id)),
        "entity": s("escalation"),
        "escalation_id": s(e.escalation_id),
        "department_id": s(e.department_id),
        "department_name": s(e.department_name),
        "question": s(e.question),
        "asked_by": s(e.asked_by),
        "asked_by_name": s(e.asked_by_name),
        "asked_at_ms": n(e.asked_at_ms),
        "agent": s(e.agent),
        "team": s(e.team),
        "update_after_s": n(e.update_after_s),
        "manager_after_rounds": n(e.manager_after_rounds),
        "manager": s(json.dumps(dict(e.manager), sort_keys=True)),
        "status": s(e.status.value),
    }
    if e.task_token is not None and e.token_round is not None:
        item.update(task_token=s(e.task_token), token_round=n(e.token_round))
    if e.answer is not None:
        item["answer"] = _answer_attribute(e.answer)
    if e.closed_at_ms is not None:
        item["closed_at_ms"] = n(e.closed_at_ms)
    return item


def item_to_department_escalation(item: Mapping[str, Any]) -> DepartmentEscalation:
    answer = None
    if "answer" in item:
        a = item["answer"]["M"]
        answer = DepartmentAnswer(
            text=a["text"]["S"], by=a["by"]["S"], by_name=a["by_name"]["S"], via=AnswerVia(a["via"]["S"]),
            at_ms=int(a["at_ms"]["N"]),
        )  # fmt: skip
    return DepartmentEscalation(
        escalation_id=item["escalation_id"]["S"],
        case_id=str(item["PK"]["S"]).removeprefix("CASE#"),
        department_id=item["department_id"]["S"],
        department_name=item["department_name"]["S"],
        question=item["question"]["S"],
        asked_by=item["asked_by"]["S"],
        asked_by_name=item["asked_by_name"]["S"],
        asked_at_ms=int(item["asked_at_ms"]["N"]),
        agent=item["agent"]["S"],
        team=item["team"]["S"],
        update_after_s=int(item["update_after_s"]["N"]),
        manager_after_rounds=int(item["manager_after_rounds"]["N"]),
        manager=json.loads(item["manager"]["S"]),
        status=EscalationStatus(item["status"]["S"]),
        task_token=item["task_token"]["S"] if "task_token" in item else None,
        token_round=int(item["token_round"]["N"]) if "token_round" in item else None,
        answer=answer,
        closed_at_ms=int(item["closed_at_ms"]["N"]) if "closed_at_ms" in item else None,
    )
