"""What every reply client does: turn one reply into platform calls, and read the platform's answers.

A reply becomes one or more calls (``plan``): the text, then one call per attachment on platforms
that take attachments by URL as separate messages (Messenger, Instagram DMs, WhatsApp, Telegram).
Each answer is read (``interpret``) into one of three outcomes:

- ``Accepted``: the platform took the message; its id goes into the platform-message index so
  the platform's echo of it is recognised.
- ``Retryable``: throttling (429 and the platforms' rate-limit codes) or a server-side failure;
  nothing was sent and the same call may be made again later (``retry_after_s`` when the
  platform says when).
- ``Rejected``: the platform refused the message for good (bad recipient, window closed,
  permissions, token); ``reason`` is written for the agent who sent it.

``ReplyRefused`` is raised by ``plan`` when the reply cannot be sent as asked at all (wrong mode for
the channel, text over the platform's limit, no token configured): nothing is called.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from socialcare.errors import ReplyRefused
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.outbound.http import HttpRequest, HttpResponse
from socialcare.platforms.credentials import PlatformCredentials

MAX_ATTACHMENTS = 10
_REASON_LIMIT = 300


@dataclass(frozen=True, slots=True)
class PlannedCall:
    request: HttpRequest
    part: str  # "text", "attachment 1 of 2": named in errors shown to agents


@dataclass(frozen=True, slots=True)
class Accepted:
    message_id: str | None  # the platform's id of the new message, as the webhooks will name it
    recipient_id: str | None = None  # Meta private replies: the customer's Messenger id (PSID)


@dataclass(frozen=True, slots=True)
class Retryable:
    reason: str
    retry_after_s: float | None = None
    throttled: bool = False


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str


CallOutcome = Accepted | Retryable | Rejected


class ReplyClient(Protocol):
    def plan(self, request: OutboundRequest, *, tag: str | None, credentials: PlatformCredentials) -> list[PlannedCall]:
        """The calls that send ``request`` (``tag``: the Meta message tag the window requires)."""
        ...

    def interpret(self, call: PlannedCall, response: HttpResponse, *, now_ms: int) -> CallOutcome:
        """What the platform's answer to ``call`` means."""
        ...


# --- helpers shared by the clients -----------------------------------------------------------
def check_text(text: str, limit: int, where: str) -> None:
    if len(text) > limit:
        raise ReplyRefused(f"the reply is {len(text)} characters; {where} allows at most {limit}")


def check_attachments(request: OutboundRequest) -> None:
    if len(request.attachments) > MAX_ATTACHMENTS:
        raise ReplyRefused(f"a reply may carry at most {MAX_ATTACHMENTS} attachments")
    for _kind, url in request.attachments:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ReplyRefused(f"attachment {url[:80]!r} is not an http(s) URL the platform can fetch")


def with_links(request: OutboundRequest) -> str:
    """The text with each attachment's URL on a line of its own (platforms without URL attachments)."""
    links = [url for _kind, url in request.attachments]
    return "\n\n".join(p for p in (request.text.strip(), "\n".join(links)) if p)


def require_text(text: str, where: str) -> None:
    if not text.strip():
        raise ReplyRefused(f"{where} needs text")


def require_mode(request: OutboundRequest, wanted: ReplyMode) -> None:
    """For channels that take one mode only."""
    if request.mode is not wanted:
        raise ReplyRefused(f"a reply on {request.channel} is always {wanted}, not {request.mode}")


def require_content(request: OutboundRequest) -> None:
    """Platforms that send attachments as messages of their own take a reply of attachments alone."""
    if not request.text.strip() and not request.attachments:
        raise ReplyRefused("the reply has neither text nor attachments")


def attachment_parts(request: OutboundRequest) -> Iterator[tuple[str, str, str]]:
    """Each attachment as (part, kind, url), the part named as agents see it in errors."""
    total = len(request.attachments)
    for number, (kind, url) in enumerate(request.attachments, start=1):
        yield f"attachment {number} of {total}", kind, url


def path_segment(value: str) -> str:
    """An id as one URL path segment (a slash in it cannot reach another endpoint)."""
    return quote(value, safe="")


def retry_after_header(response: HttpResponse) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def short(text: Any) -> str:
    """A platform's own error text, bounded, for an agent to read."""
    value = str(text).strip() if text is not None else ""
    return value if len(value) <= _REASON_LIMIT else value[: _REASON_LIMIT - 1] + "…"


def as_object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def id_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str) and str(value):
        return str(value)
    return None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def http_failure(platform: str, response: HttpResponse) -> Retryable | None:
    """The outcome every platform shares: 5xx (and 408) are worth another try."""
    if response.status >= 500 or response.status == 408:
        return Retryable(f"{platform} answered HTTP {response.status}", retry_after_header(response))
    return None
