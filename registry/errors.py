"""The one error hierarchy. Only these messages reach clients; anything else is masked."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    NOT_FOUND = "NOT_FOUND"
    VALIDATION = "VALIDATION"
    CONFLICT = "CONFLICT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    PERSONAL_DATA_WITHHELD = "PERSONAL_DATA_WITHHELD"
    DUPLICATE_SUSPECTED = "DUPLICATE_SUSPECTED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"
    UNTRUSTED_DOCUMENT = "UNTRUSTED_DOCUMENT"
    # Request-level: introspection is off in production; an unexpected error (masked, with a request id);
    # the database cannot be reached now, or a statement ran past the statement timeout (both retryable).
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    INTERNAL = "INTERNAL"
    UNAVAILABLE = "UNAVAILABLE"
    TIMEOUT = "TIMEOUT"


class RegistryError(Exception):
    """An error whose message is meant for the client."""

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def extensions(self) -> dict[str, object]:
        """Copied by graphql-core into the error's ``extensions``: the code and the offending field."""
        extensions: dict[str, object] = {"code": str(self.code)}
        if self.field is not None:
            extensions["field"] = self.field
        return extensions


class InvalidInput(RegistryError):
    code = ErrorCode.VALIDATION


class NotSignedIn(RegistryError):
    code = ErrorCode.UNAUTHENTICATED


class NotFound(RegistryError):
    code = ErrorCode.NOT_FOUND


class PersonalDataWithheld(RegistryError):
    """A personal-data field the principal may not read: the field is null and this error says why."""

    code = ErrorCode.PERSONAL_DATA_WITHHELD


class Conflict(RegistryError):
    """The record changed since it was read (its ``version`` moved on), or the request clashes with an
    existing record (an identity number already registered, an open transfer already pending)."""

    code = ErrorCode.CONFLICT


class InvalidTransition(RegistryError):
    """The workflow does not allow this move from the record's current state."""

    code = ErrorCode.INVALID_TRANSITION


class ConsentRequired(RegistryError):
    """The child (or guardian) has not consented to this, or has withdrawn consent."""

    code = ErrorCode.CONSENT_REQUIRED


class ApprovalRequired(RegistryError):
    """Only a supervising officer may do this (closing a high-risk case)."""

    code = ErrorCode.APPROVAL_REQUIRED


class DuplicateSuspected(RegistryError):
    """Close matches exist; the caller must look at ``candidates`` and confirm to go on."""

    code = ErrorCode.DUPLICATE_SUSPECTED

    def __init__(self, message: str, *, candidates: list[int], field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.candidates = candidates


class LimitExceeded(RegistryError):
    """A request over one of the deployment's limits (query depth, aliases, tokens, directives, cost):
    refused before it runs. ``extensions`` name the limit and its maximum."""

    code = ErrorCode.LIMIT_EXCEEDED

    def __init__(self, message: str, *, limit: str, maximum: int, actual: int | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.maximum = maximum
        self.actual = actual

    @property
    def extensions(self) -> dict[str, object]:
        extensions = super().extensions | {"limit": self.limit, "maximum": self.maximum}
        if self.actual is not None:
            extensions["actual"] = self.actual
        return extensions


class RateLimited(RegistryError):
    """The caller has spent its query budget; it may try again after ``retry_after_seconds``."""

    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    @property
    def extensions(self) -> dict[str, object]:
        return super().extensions | {"retryAfterSeconds": self.retry_after_seconds}


class UntrustedDocument(RegistryError):
    """This deployment runs only the documents in its trusted-documents manifest, and this is not one."""

    code = ErrorCode.UNTRUSTED_DOCUMENT
