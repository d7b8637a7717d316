"""HTTP for the reply clients: the standard library only, behind an injectable transport.

The transport tells apart the two ways a call can fail without an answer, because the
never-twice guarantee depends on it:

- ``RequestNotSent``: the request never reached the platform whole (connection refused, DNS,
  TLS, an error while writing it). Sending again cannot duplicate anything.
- ``AnswerLost``: the request was written but no answer came back (read timeout, connection
  reset). The platform may have acted on it; sending again could send the reply twice.

Tokens travel in headers or (Telegram) in the URL path; neither is ever put into an error
message or a log line: ``HttpRequest.safe_url`` is what may be shown.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from socialcare.errors import AnswerLost, RequestNotSent


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    body: bytes | None = field(default=None, repr=False)
    # The URL with any secret part replaced (Telegram puts the bot token in the path).
    safe_url: str = ""

    def __repr__(self) -> str:
        return f"HttpRequest({self.method} {self.safe_url or '<url hidden>'})"

    def json(self) -> Any:
        """The JSON body (tests and fakes read what a client would send)."""
        return json.loads(self.body) if self.body else None


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        """The JSON body, or None when the body is not JSON (an HTML error page from a proxy)."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


class Transport(Protocol):
    def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        """Perform the call; any HTTP status is a response. Raise RequestNotSent or AnswerLost."""
        ...


def json_request(
    method: str, url: str, doc: Mapping[str, Any], *, headers: Mapping[str, str] | None = None, safe_url: str = ""
) -> HttpRequest:
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HttpRequest(
        method=method,
        url=url,
        headers={"Content-Type": "application/json; charset=utf-8", "Accept": "application/json", **(headers or {})},
        body=body,
        safe_url=safe_url or url,
    )


class UrllibTransport:
    """``urllib.request``, never following redirects (a redirected POST could be replayed elsewhere).

    ``urllib`` raises ``URLError`` for failures while connecting and writing the request, and
    plain ``OSError`` (timeout, reset, remote disconnected) for failures while reading the
    answer: that split is exactly RequestNotSent / AnswerLost.
    """

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirect())

    def send(self, request: HttpRequest, *, timeout_s: float) -> HttpResponse:
        if not request.url.startswith(("https://", "http://")):
            raise RequestNotSent(f"{request.safe_url}: only http(s) URLs are called")
        # Checked above: only http(s), never file: or custom schemes.
        raw = urllib.request.Request(  # noqa: S310
            request.url, data=request.body, headers=dict(request.headers), method=request.method
        )
        try:
            with self._opener.open(raw, timeout=timeout_s) as answer:
                return HttpResponse(answer.status, _lower(answer.headers.items()), answer.read())
        except urllib.error.HTTPError as exc:  # an answer with an error status is still an answer
            try:
                body = exc.read()
            except OSError:
                body = b""
            return HttpResponse(exc.code, _lower(exc.headers.items() if exc.headers else ()), body)
        except urllib.error.URLError as exc:
            raise RequestNotSent(f"{request.safe_url}: {type(exc.reason).__name__}") from None
        except OSError as exc:
            raise AnswerLost(f"{request.safe_url}: {type(exc).__name__}") from None


def _lower(items: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
