"""How an agent's reply goes out: channel, mode, recipient, the message answered, the signed text.

Decided from the case, the few entries of its thread it needs (``ThreadFacts``: the message named
by ``reply_to``, the customer's newest message on the channel, read back from its time), the brand
profile and the command. The defaults follow the customer: a reply answers the latest customer
message (or the one named by ``reply_to``) on its channel, publicly under a public post or comment
and privately in a private channel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from socialcare.agents.commands import ReplyCommand
from socialcare.agents.identity import Caller
from socialcare.agents.thread_facts import ThreadFacts
from socialcare.errors import EntryNotFound, InvalidRequest, ReplyNotPossible, TextTooLong
from socialcare.model.case import Case, EntryKind, ThreadEntry
from socialcare.model.channels import (
    ATTACHMENT_KINDS,
    COMMENT_CHANNELS,
    PRIVATE_CHANNEL_OF,
    TEXT_LIMITS,
    text_length,
)
from socialcare.model.events import Channel
from socialcare.model.outbound import ReplyMode
from socialcare.model.profile import BrandProfile, sign
from socialcare.rules.windows import check_reply_window


@dataclass(frozen=True, slots=True)
class ReplyPlan:
    channel: Channel
    mode: ReplyMode
    recipient_id: str
    text: str  # as sent: signed (templates: a description for the thread)
    public: bool
    reply_to_id: str | None = None  # the platform id of the message answered
    conversation_ref: str | None = None
    tag: str | None = None
    attachments: tuple[tuple[str, str], ...] = ()
    template: dict[str, Any] | None = None


def plan_reply(
    *,
    case: Case,
    facts: ThreadFacts,
    command: ReplyCommand,
    text: str | None,
    profile: BrandProfile,
    caller: Caller,
    now_ms: int,
) -> ReplyPlan:
    """Decide how the reply goes out, or raise with a message the agent can act on.

    ``text`` is the unsigned text (the command's own, or its canned response rendered).
    """
    target = _named_target(case, facts, command)
    channel = command.channel or (target.channel if target else None) or _newest_channel(facts)
    if channel is None:
        raise ReplyNotPossible("the customer has not written yet; there is nothing to answer")
    mode = command.mode or (ReplyMode.PUBLIC if channel.is_public else ReplyMode.PRIVATE)
    latest = facts.newest_on(channel)
    target = _answered(channel, mode, target, latest)
    _check_content(channel, mode, command)
    window = check_reply_window(
        channel=channel,
        mode=mode,
        now_ms=now_ms,
        last_inbound_ms=case.last_inbound_by_channel.get(channel),
        comment_at_ms=target.timestamp_ms if mode is ReplyMode.PRIVATE_REPLY_TO_COMMENT and target else None,
        human_agent_allowed=profile.human_agent_tag,
        has_template=command.template is not None,
    )
    sent = _as_sent(channel, mode, command.template, text, profile, caller)
    source = target or latest
    if channel is Channel.TELEGRAM:
        recipient = (source.conversation_ref if source else None) or case.customer.user_id
    else:
        recipient = (source.author if source else None) or case.customer.user_id
    return ReplyPlan(
        channel=channel,
        mode=mode,
        recipient_id=recipient,
        text=sent,
        public=mode is ReplyMode.PUBLIC,
        reply_to_id=target.platform_message_id if target else None,
        conversation_ref=source.conversation_ref if source else None,
        tag=window.tag,
        attachments=command.attachments,
        template=command.template,
    )


def _newest_channel(facts: ThreadFacts) -> Channel | None:
    newest = facts.newest_inbound()
    return newest.channel if newest else None


def _named_target(case: Case, facts: ThreadFacts, command: ReplyCommand) -> ThreadEntry | None:
    """The customer message ``reply_to`` names, if it names one."""
    if command.reply_to is None:
        return None
    target = facts.entry(command.reply_to)
    if target is None:
        raise EntryNotFound(f"case {case.case_id} has no entry {command.reply_to}")
    if target.kind is not EntryKind.INBOUND:
        raise ReplyNotPossible("reply_to must name a customer message of this case")
    if command.channel is not None and command.channel is not target.channel:
        raise InvalidRequest(f"reply_to is a {target.channel} message but channel is {command.channel}")
    return target


def _answered(
    channel: Channel, mode: ReplyMode, target: ThreadEntry | None, latest: ThreadEntry | None
) -> ThreadEntry | None:
    """The message a reply in ``mode`` answers (public replies and private replies to comments
    answer one: the named one, else the latest on the channel); whether the mode fits the channel."""
    if mode is ReplyMode.PUBLIC:
        if not channel.is_public:
            raise ReplyNotPossible(
                f"{channel} is private; a public reply answers a post or comment "
                "(facebook_comment, instagram_comment, x_post)"
            )
        target = target or latest
        if target is None:
            raise ReplyNotPossible(f"the customer has posted nothing on {channel} to reply to")
        if target.deleted_at_ms is not None:
            raise ReplyNotPossible("the customer deleted that message; it can no longer be answered publicly")
    elif mode is ReplyMode.PRIVATE_REPLY_TO_COMMENT:
        if channel not in COMMENT_CHANNELS:
            raise ReplyNotPossible(f"a private reply to a comment needs a Facebook or Instagram comment, not {channel}")
        target = target or latest
        if target is None:
            raise ReplyNotPossible(f"the customer has no comment on {channel} to answer privately")
    elif channel.is_public:
        raise ReplyNotPossible(
            f"{channel} is public; write privately on {PRIVATE_CHANNEL_OF[channel]}, answer the comment privately "
            "(mode private_reply_to_comment) or reply publicly"
        )
    return target


def _check_content(channel: Channel, mode: ReplyMode, command: ReplyCommand) -> None:
    """Templates only on WhatsApp; attachments only of the kinds the channel and mode carry."""
    template = command.template
    if template is not None and (channel is not Channel.WHATSAPP or mode is not ReplyMode.PRIVATE):
        raise ReplyNotPossible("templates are WhatsApp messages; send text on other channels")
    allowed = ATTACHMENT_KINDS.get(channel, frozenset()) if mode is not ReplyMode.PRIVATE_REPLY_TO_COMMENT else ()
    for kind, _ in command.attachments:
        if kind not in allowed:
            can = ", ".join(sorted(allowed)) or "none"
            raise ReplyNotPossible(f"a {mode} reply on {channel} cannot carry {kind} attachments (it can carry: {can})")
    if template is not None and command.attachments:
        raise InvalidRequest("a template carries its media in its components, not in attachments")


def _as_sent(
    channel: Channel,
    mode: ReplyMode,
    template: dict[str, Any] | None,
    text: str | None,
    profile: BrandProfile,
    caller: Caller,
) -> str:
    """The text as sent (signed, within the channel's limit); for a template, its description."""
    if template is not None:
        return f"[WhatsApp template {template['name']} ({template['language']})]"
    if text is None:  # pragma: no cover - commands guarantee text, canned text or a template
        raise InvalidRequest("a reply needs text")
    sent = sign(
        text,
        style=profile.signature_style,
        display_name=caller.display_name,
        first_name=caller.first_name,
        initials=caller.initials,
    )
    limit_channel = PRIVATE_CHANNEL_OF[channel] if mode is ReplyMode.PRIVATE_REPLY_TO_COMMENT else channel
    length, limit = text_length(limit_channel, sent), TEXT_LIMITS[limit_channel]
    if length > limit:
        extra = length - text_length(limit_channel, text)
        raise TextTooLong(
            f"the signed reply is {length} characters ({extra} of them the signature); {limit_channel} allows {limit}"
        )
    return sent


def template_json(template: dict[str, Any] | None) -> str | None:
    return None if template is None else json.dumps(template, separators=(",", ":"), sort_keys=True)
