"""Domain exceptions. Adapters map these to HTTP status codes in one place, by type."""

from __future__ import annotations


class SocialCareError(Exception):
    """Base of every domain error; ``code`` is machine-readable."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- webhook deliveries -------------------------------------------------------------------
class UnknownPlatform(SocialCareError):
    code = "unknown_platform"


class SignatureMissing(SocialCareError):
    code = "signature_missing"


class SignatureInvalid(SocialCareError):
    code = "signature_invalid"


class MalformedPayload(SocialCareError):
    code = "malformed_payload"


class PayloadTooLarge(SocialCareError):
    code = "payload_too_large"


class HandshakeRejected(SocialCareError):
    code = "handshake_rejected"


class HandshakeUnsupported(SocialCareError):
    code = "handshake_unsupported"


# --- storage ------------------------------------------------------------------------------
class DuplicateEvent(SocialCareError):
    code = "duplicate_event"


class UnstorableEvent(SocialCareError):
    """DynamoDB refuses the event's items as invalid (an item over 400 KB...): retrying cannot help."""

    code = "unstorable_event"


class CaseNotFound(SocialCareError):
    code = "case_not_found"


class CaseVersionConflict(SocialCareError):
    code = "case_version_conflict"


class ConcurrentThreadingConflict(SocialCareError):
    """The customer's current case changed while an event was being threaded; retry."""

    code = "threading_conflict"


class InvalidTransition(SocialCareError):
    code = "invalid_transition"


# --- replies ------------------------------------------------------------------------------
class OutsideMessagingWindow(SocialCareError):
    """The platform does not allow a free-form message to this customer now."""

    code = "outside_messaging_window"


class TemplateRequired(OutsideMessagingWindow):
    """WhatsApp: outside the 24-hour window only an approved template may be sent."""

    code = "template_required"
