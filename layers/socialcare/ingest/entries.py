"""The thread entry an event becomes: what the care team sees of it on the case."""

from __future__ import annotations

from socialcare.model.case import EntryKind, ThreadEntry
from socialcare.model.events import PlatformEvent, Referral

_REFERRAL_FIELDS = ("source", "source_id", "url", "headline", "body", "ref", "click_id")


def message_entry(event: PlatformEvent, case_id: str, kind: EntryKind, *, author: str, now_ms: int) -> ThreadEntry:
    assert event.message_id is not None
    return ThreadEntry(
        case_id=case_id,
        entry_id=f"{event.timestamp_ms:013d}#{event.message_id}",
        kind=kind,
        timestamp_ms=event.timestamp_ms,
        channel=event.channel,
        platform_message_id=event.message_id,
        author=author,
        text=event.text,
        attachments=tuple((a.kind, a.url) for a in event.attachments),
        public=event.channel.is_public,
        reply_to_id=event.reply_to_id,
        conversation_ref=event.conversation_ref,
        received_at_ms=now_ms,
        extra=entry_extra(event),
    )


def entry_extra(event: PlatformEvent) -> dict[str, str]:
    """What the entry shows beyond its text: the public kind, that it came in standby (another app
    held the thread), that its time is the received time, and the ad/post/link it came from."""
    extra: dict[str, str] = {}
    if event.public_kind:
        extra["public_kind"] = event.public_kind.value
    if event.standby:
        extra["standby"] = "true"
    if event.timestamp_estimated:
        extra["timestamp_estimated"] = "true"
    if event.referral is not None:
        extra.update(referral_extra(event.referral))
    return extra


def referral_extra(referral: Referral) -> dict[str, str]:
    values = {name: getattr(referral, name) for name in _REFERRAL_FIELDS}
    return {f"referral_{name}": str(value) for name, value in values.items() if value}
