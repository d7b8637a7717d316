"""The sandbox's Meta Graph API: the Send API (Messenger, Instagram, private replies), WhatsApp
messages, replies to Facebook and Instagram comments, and hiding a comment, checked and answered as
Meta does.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from socialcare_local.config import LocalConfig
from socialcare_local.sandbox import payloads
from socialcare_local.sandbox.platform_api import PlatformApi
from socialcare_local.sandbox.platform_state import Comment, PlatformState, messenger_id_for
from socialcare_local.sandbox.reply_platforms import (
    DAY_MS,
    HTTP_URL,
    HUMAN_AGENT_MS,
    Answer,
    Echo,
    Fault,
    Incoming,
    PlatformIds,
    TakeFault,
    attachment_problem,
    bearer,
    get_path,
)


def meta_error(
    status: int, code: int, message: str, *, subcode: int | None = None, transient: bool = False, **extra: Any
) -> Answer:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": secrets.token_urlsafe(8),
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    return Answer(status, {"error": error}, **extra)


class MetaGraph(PlatformApi):
    """``/graph/<version>/{node}/{edge}``: Send API (Messenger, Instagram, private replies),
    WhatsApp messages, Facebook ``comments`` and Instagram ``replies``; ``/graph/<version>/{comment}``:
    hide a comment (``is_hidden`` on Facebook, ``hide`` on Instagram)."""

    def __init__(self, config: LocalConfig, state: PlatformState, ids: PlatformIds) -> None:
        super().__init__(config, state, ids)
        accounts = config.accounts
        self._kind = {
            a: kind
            for a, kind in (
                (accounts.facebook_page_id, "facebook"),
                (accounts.instagram_account_id, "instagram"),
                (accounts.whatsapp_phone_number_id, "whatsapp"),
            )
            if a
        }

    def _endpoint(self, incoming: Incoming, path: list[str]) -> str:
        """What the call is, as far as its URL and body tell (refused and throttled calls too)."""
        if len(path) == 2:
            comment = self._state.comment(path[1])
            kind = self._kind.get(comment.account_id) if comment is not None else None
            return f"{kind}_comment_hide" if kind else ""
        if len(path) != 3:
            return ""
        node, edge = path[1], path[2]
        if edge in ("comments", "replies"):
            return "facebook_comment_reply" if edge == "comments" else "instagram_comment_reply"
        kind = self._kind.get(node)
        if edge != "messages" or kind is None:
            return ""
        if kind == "whatsapp":
            return "whatsapp"
        if get_path(incoming.json_object(), "recipient", "comment_id"):
            return "private_reply"
        return "messenger" if kind == "facebook" else "instagram_dm"

    def _handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        if incoming.method == "POST" and len(path) == 2:
            return self._hide(incoming, path[1], take_fault)
        if incoming.method != "POST" or len(path) != 3:
            return meta_error(400, 2500, f"Unknown path components: /{'/'.join(path[1:])}")
        _version, node, edge = path
        token = bearer(incoming.headers) or incoming.query.get("access_token")
        if not token:
            return meta_error(400, 104, "An access token is required to request this resource.")
        comment: Comment | None = None
        if edge == "messages":
            account = node
            if account not in self._kind:
                return meta_error(
                    400, 100, f"Unsupported post request. Object with ID '{node}' does not exist", subcode=33
                )
        elif edge in ("comments", "replies"):
            comment = self._state.comment(node)
            if comment is None:
                return meta_error(
                    400,
                    100,
                    f"Unsupported post request. Object with ID '{node}' does not exist, cannot be loaded due to "
                    "missing permissions, or does not support this operation",
                    subcode=33,
                )
            account = comment.account_id
            wanted = "comments" if self._kind.get(account) == "facebook" else "replies"
            if edge != wanted:
                return meta_error(400, 100, f"(#100) Tried accessing nonexisting field ({edge}) on node type (Comment)")
        else:
            return meta_error(400, 2500, f"Unknown path components: /{edge}")
        expected = self._config.credentials.meta.page_tokens.get(account) if self._config.credentials.meta else None
        if expected is None or token != expected:
            return meta_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        kind = self._kind[account]
        fault = take_fault("meta")
        if fault is not None:
            return self._fault(fault, kind, account)
        doc = incoming.json_object()
        if doc is None:
            return meta_error(400, 100, "(#100) The request body must be a JSON object")
        if comment is not None:
            return self._comment_reply(doc, comment, kind)
        if kind == "whatsapp":
            return self._whatsapp(doc, account)
        return self._send_api(doc, account, kind)

    # Hiding a comment: POST /{comment id} with is_hidden (Facebook) or hide (Instagram), true or false.
    def _hide(self, incoming: Incoming, node: str, take_fault: TakeFault) -> Answer:
        comment = self._state.comment(node)
        if comment is None:
            return meta_error(400, 100, f"Unsupported post request. Object with ID '{node}' does not exist", subcode=33)
        account = comment.account_id
        token = bearer(incoming.headers) or incoming.query.get("access_token")
        expected = self._config.credentials.meta.page_tokens.get(account) if self._config.credentials.meta else None
        if not token or token != expected:
            return meta_error(400, 190, "Invalid OAuth access token - Cannot parse access token", account_id=account)
        kind = self._kind[account]
        fault = take_fault("meta")
        if fault is not None:
            return self._fault(fault, kind, account)
        field_name = "is_hidden" if kind == "facebook" else "hide"
        value = (incoming.json_object() or {}).get(field_name, incoming.query.get(field_name))
        if value not in (True, False, "true", "false"):
            return meta_error(
                400, 100, f"(#100) The parameter {field_name} is required (true or false)", account_id=account
            )
        if comment.author_id == account:
            return meta_error(
                400, 100, "(#100) A comment made by the account itself cannot be hidden", account_id=account
            )
        self._state.set_hidden(comment, value in (True, "true"))
        return Answer(200, {"success": True}, account_id=account, message_id=comment.comment_id)

    def _fault(self, fault: Fault, kind: str, account: str) -> Answer:
        if fault.kind == "throttle":
            code, message = (
                (130429, "Rate limit hit")
                if kind == "whatsapp"
                else (613, "Calls to this api have exceeded the rate limit.")
            )
            headers = {}
            if fault.retry_after_s >= 60:  # Meta states the wait in whole minutes
                usage = {
                    account: [
                        {
                            "type": "messenger",
                            "call_count": 100,
                            "estimated_time_to_regain_access": int(fault.retry_after_s // 60),
                        }
                    ]
                }
                headers["x-business-use-case-usage"] = json.dumps(usage)
            return meta_error(400, code, f"(#{code}) {message}", headers=headers, account_id=account, fault="throttle")
        if fault.status >= 500:
            return meta_error(
                fault.status,
                2,
                "An unexpected error has occurred. Please retry your request later.",
                transient=True,
                account_id=account,
                fault="fail",
            )
        return meta_error(fault.status, 100, "(#100) Invalid parameter", account_id=account, fault="fail")

    # Messenger and Instagram Send API, private replies included.
    def _send_api(self, doc: dict[str, Any], account: str, kind: str) -> Answer:
        endpoint = "messenger" if kind == "facebook" else "instagram_dm"
        recipient = doc.get("recipient")
        message = doc.get("message")
        if not isinstance(recipient, dict) or not (recipient.get("id") or recipient.get("comment_id")):
            return meta_error(400, 100, "(#100) The parameter recipient is required", account_id=account)
        if not isinstance(message, dict):
            return meta_error(400, 100, "(#100) The parameter message is required", account_id=account)
        text, attachment = message.get("text"), message.get("attachment")
        if (text is None) == (attachment is None):
            return meta_error(
                400, 100, "(#100) Exactly one of message[text] or message[attachment] must be set", account_id=account
            )
        limit = 2000 if kind == "facebook" else 1000
        if text is not None and (not isinstance(text, str) or not text or len(text) > limit):
            return meta_error(
                400,
                100,
                f"(#100) Length of param message[text] must be less than or equal to {limit}",
                account_id=account,
            )
        if attachment is not None:
            problem = attachment_problem(attachment)
            if problem:
                return meta_error(400, 100, f"(#100) {problem}", account_id=account)
        metadata = message.get("metadata")
        if metadata is not None and (not isinstance(metadata, str) or len(metadata) > 1000):
            return meta_error(400, 100, "(#100) message[metadata] must be a string of at most 1000 characters")
        now = self._state.clock()
        if recipient.get("comment_id"):
            return self._private_reply(doc, str(recipient["comment_id"]), account, kind, now)
        psid = str(recipient["id"])
        last = self._state.last_message_ms(account, psid)
        if last is None:
            return meta_error(400, 100, "(#100) No matching user found", subcode=2018001, account_id=account)
        messaging_type = doc.get("messaging_type")
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return meta_error(
                400, 100, "(#100) param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG", account_id=account
            )
        tag = doc.get("tag")
        if messaging_type == "MESSAGE_TAG" and tag != "HUMAN_AGENT":
            return meta_error(400, 100, "(#100) Param tag must be one of {HUMAN_AGENT, ...}", account_id=account)
        window = HUMAN_AGENT_MS if messaging_type == "MESSAGE_TAG" else DAY_MS
        if now - last > window:
            return meta_error(
                400, 10, "(#10) This message is sent outside of allowed window.", subcode=2018278, account_id=account
            )
        mid = self._ids.mid()
        echo = self._messaging_echo(kind, account, psid, mid, message, now)
        return Answer(
            200,
            {"recipient_id": psid, "message_id": mid},
            endpoint=endpoint,
            account_id=account,
            message_id=mid,
            echoes=[echo],
        )

    def _private_reply(self, doc: dict[str, Any], comment_id: str, account: str, kind: str, now: int) -> Answer:
        comment = self._state.comment(comment_id)
        if comment is None or comment.account_id != account:
            return meta_error(400, 100, f"(#100) Invalid comment_id {comment_id}", subcode=33, account_id=account)
        if now - comment.created_ms > 7 * DAY_MS:
            return meta_error(
                400, 10, "(#10) This message is sent outside of allowed window.", subcode=2018278, account_id=account
            )
        if "attachment" in doc["message"]:
            return meta_error(400, 100, "(#100) A private reply can only contain text", account_id=account)
        if not self._state.mark_private_reply(comment):
            return meta_error(400, 10900, "Activity already replied to", account_id=account)
        # The customer's Messenger id differs from their commenter id on Facebook; on Instagram
        # the commenter id already is their messaging id.
        psid = messenger_id_for(account, comment.author_id) if kind == "facebook" else comment.author_id
        # Having been messaged, the customer can be answered in Messenger once they write back.
        mid = self._ids.mid()
        echo = self._messaging_echo(kind, account, psid, mid, doc["message"], now)
        return Answer(
            200,
            {"recipient_id": psid, "message_id": mid},
            endpoint="private_reply",
            account_id=account,
            message_id=mid,
            echoes=[echo],
        )

    def _messaging_echo(self, kind: str, account: str, psid: str, mid: str, message: dict[str, Any], now: int) -> Echo:
        body: dict[str, Any] = {"is_echo": True, "app_id": 1517776481860111, "mid": mid}
        if isinstance(message.get("metadata"), str):  # Meta hands the sender's metadata back in the echo
            body["metadata"] = message["metadata"]
        if "text" in message:
            body["text"] = message["text"]
        else:
            attachment = message["attachment"]
            body["attachments"] = [
                {"type": attachment.get("type"), "payload": {"url": get_path(attachment, "payload", "url")}}
            ]
        event = {"sender": {"id": account}, "recipient": {"id": psid}, "timestamp": now, "message": body}
        object_type = "page" if kind == "facebook" else "instagram"
        payload = payloads.meta_delivery(object_type, [payloads.meta_entry(account, [event], time=now)])
        return Echo("meta", payload, f"{object_type} message echo {mid}")

    def _comment_reply(self, doc: dict[str, Any], comment: Comment, kind: str) -> Answer:
        text = doc.get("message")
        limit = 8000 if kind == "facebook" else 2200
        account = comment.account_id
        if not isinstance(text, str) or not text.strip():
            return meta_error(400, 100, "(#100) The parameter message is required", account_id=account)
        if len(text) > limit:
            return meta_error(400, 100, f"(#100) The comment is longer than {limit} characters", account_id=account)
        now = self._state.clock()
        accounts = self._config.accounts
        if kind == "facebook":
            post_id = comment.post_id or f"{account}_1"
            new_id = f"{post_id.split('_')[-1]}_{9_000_000 + self._ids.number()}"
            change = payloads.facebook_comment(
                account,
                post_id,
                new_id,
                account,
                accounts.facebook_page_name or accounts.brand_name,
                text,
                now // 1000,
                parent_id=comment.comment_id,
            )
            payload = payloads.meta_delivery("page", [payloads.meta_entry(account, [change], time=now // 1000)])
            endpoint = "facebook_comment_reply"
        else:
            new_id = str(17_900_000_000_000_000 + self._ids.number())
            change = payloads.instagram_comment(
                new_id,
                account,
                accounts.instagram_username or "brand",
                text,
                comment.post_id or "0",
                parent_id=comment.comment_id,
            )
            payload = payloads.meta_delivery("instagram", [payloads.meta_entry(account, [change], time=now // 1000)])
            endpoint = "instagram_comment_reply"
        # The brand's comment exists now too (replies to it would name it).
        self._state.add_comment(Comment(account, new_id, account, now, comment.post_id, private_replied=True))
        return Answer(
            200,
            {"id": new_id},
            endpoint=endpoint,
            account_id=account,
            message_id=new_id,
            echoes=[Echo("meta", payload, f"{endpoint} echo {new_id}")],
        )

    def _whatsapp(self, doc: dict[str, Any], phone: str) -> Answer:
        if doc.get("messaging_product") != "whatsapp":
            return meta_error(400, 100, "(#100) The parameter messaging_product is required.", account_id=phone)
        to = doc.get("to")
        if not isinstance(to, str) or not to:
            return meta_error(400, 100, "(#100) The parameter to is required.", account_id=phone)
        kind = doc.get("type", "text")
        if kind == "text":
            body = get_path(doc, "text", "body")
            if not isinstance(body, str) or not body or len(body) > 4096:
                return meta_error(400, 100, "(#100) Param text['body'] must be 1 to 4096 characters", account_id=phone)
        elif kind in ("image", "video", "audio", "document"):
            link = get_path(doc, kind, "link")
            if not isinstance(link, str) or not HTTP_URL.match(link):
                return meta_error(400, 100, f"(#100) Param {kind}['link'] must be a valid URL", account_id=phone)
        elif kind == "template":
            if not get_path(doc, "template", "name") or not get_path(doc, "template", "language", "code"):
                return meta_error(
                    400,
                    100,
                    "(#100) Param template['name'] and template['language']['code'] are required",
                    account_id=phone,
                )
        else:
            return meta_error(
                400,
                100,
                f"(#100) Param type must be one of text, image, video, audio, document, template; not {kind}",
                account_id=phone,
            )
        now = self._state.clock()
        last = self._state.last_message_ms(phone, to)
        if last is None and kind != "template":
            return _whatsapp_unknown_recipient(phone, to)
        if kind != "template" and (last is None or now - last > DAY_MS):
            return Answer(
                400,
                {
                    "error": {
                        "message": "(#131047) Re-engagement message",
                        "type": "OAuthException",
                        "code": 131047,
                        "error_data": {
                            "messaging_product": "whatsapp",
                            "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
                        },
                        "fbtrace_id": secrets.token_urlsafe(8),
                    }
                },
                account_id=phone,
            )
        wamid = self._ids.wamid()
        answer: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": wamid}],
        }
        if kind == "template":
            answer["messages"][0]["message_status"] = "accepted"
        waba = self._config.accounts.whatsapp_business_account_id or phone
        echoes = [
            Echo(
                "meta",
                payloads.meta_delivery(
                    "whatsapp_business_account",
                    [
                        payloads.meta_entry(
                            waba, [payloads.whatsapp_status(phone, wamid, status, to, now // 1000 + offset)]
                        )
                    ],
                ),
                f"whatsapp status {status} {wamid}",
            )
            for offset, status in ((0, "sent"), (1, "delivered"))
        ]
        return Answer(200, answer, endpoint="whatsapp", account_id=phone, message_id=wamid, echoes=echoes)


def _whatsapp_unknown_recipient(phone: str, to: str) -> Answer:
    """A free-form message to someone who never wrote to this number: not a closed 24-hour window
    but an unknown recipient, and said so (a customer played outside the sandbox, e.g. with curl,
    is unknown to it)."""
    user_message = (
        f"{to} has never written to this WhatsApp number: the platform sandbox knows only customers "
        "whose messages it delivered (play one with `socialcare customer`)"
    )
    return Answer(
        400,
        {
            "error": {
                "message": "(#131026) Message Undeliverable",
                "type": "OAuthException",
                "code": 131026,
                "error_user_msg": user_message,
                "error_data": {"messaging_product": "whatsapp", "details": user_message},
                "fbtrace_id": secrets.token_urlsafe(8),
            }
        },
        account_id=phone,
    )
