"""Brand profiles on DynamoDB: ``ACCOUNT#<account id>`` / ``PROFILE``, each change audited with it.

The automated-message settings (acknowledgement, nudge) are kept as one JSON document (``automation``),
read back through the profile's own validation; a profile stored before them has the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from socialcare.aws import keys
from socialcare.aws.agent_table import AgentTable
from socialcare.aws.audit_store import audit_item
from socialcare.aws.items import item_key, n, s
from socialcare.aws.paging import conditional_put
from socialcare.model.audit import AuditRecord
from socialcare.model.profile import (
    BrandProfile,
    CannedResponse,
    SignatureStyle,
    automation_document,
    profile_from_document,
)


class ProfileStore(AgentTable):
    def profile(self, account_id: str) -> BrandProfile | None:
        resp = self._client().get_item(
            TableName=self._table, Key=item_key(keys.account_pk(account_id), keys.PROFILE_SK), ConsistentRead=True
        )
        item = resp.get("Item")
        if item is None or "brand_name" not in item:
            return None
        return item_to_profile(account_id, item)

    def save_profile(self, profile: BrandProfile, audit: AuditRecord) -> None:
        """Set the profile's attributes (others on the item, if any, are kept) and audit the change."""
        attrs = profile_attributes(profile)
        names = {f"#a{i}": name for i, name in enumerate(attrs)}
        values = {f":a{i}": value for i, value in enumerate(attrs.values())}
        update = "SET entity = :entity, " + ", ".join(f"#a{i} = :a{i}" for i in range(len(attrs)))
        self._client().transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": item_key(keys.account_pk(profile.account_id), keys.PROFILE_SK),
                        "UpdateExpression": update,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": {**values, ":entity": s("brand_profile")},
                    }
                },
                conditional_put(self._table, audit_item(audit), "attribute_not_exists(#pk)"),
            ]
        )


def profile_attributes(profile: BrandProfile) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "brand_name": s(profile.brand_name),
        "signature_style": s(profile.signature_style.value),
        "human_agent_tag": {"BOOL": profile.human_agent_tag},
        "move_to_private_text": s(profile.move_to_private_text),
        "canned_responses": {
            "L": [
                {"M": {"id": s(r.response_id), "title": s(r.title), "text": s(r.text)}}
                for r in profile.canned_responses
            ]
        },
        "automation": s(json.dumps(automation_document(profile), ensure_ascii=False, sort_keys=True)),
    }
    if profile.updated_at_ms is not None:
        attrs["updated_at_ms"] = n(profile.updated_at_ms)
    if profile.updated_by is not None:
        attrs["updated_by"] = s(profile.updated_by)
    return attrs


def item_to_profile(account_id: str, item: Mapping[str, Any]) -> BrandProfile:
    profile = BrandProfile(
        account_id=account_id,
        brand_name=str(item["brand_name"]["S"]),
        signature_style=SignatureStyle(item.get("signature_style", {"S": "first_name"})["S"]),
        human_agent_tag=bool(item.get("human_agent_tag", {"BOOL": False})["BOOL"]),
        move_to_private_text=str(item["move_to_private_text"]["S"]),
        canned_responses=tuple(
            CannedResponse(response_id=r["M"]["id"]["S"], title=r["M"]["title"]["S"], text=r["M"]["text"]["S"])
            for r in item.get("canned_responses", {"L": []})["L"]
        ),
        updated_at_ms=int(item["updated_at_ms"]["N"]) if "updated_at_ms" in item else None,
        updated_by=str(item["updated_by"]["S"]) if "updated_by" in item else None,
    )
    if "automation" not in item:
        return profile
    return profile_from_document(account_id, json.loads(item["automation"]["S"]), base=profile)
