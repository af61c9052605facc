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


class RegistryError(Exception):
    """An error whose message is meant for the client."""

    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def extensions(self) -> dict[str, str]:
        """Copied by graphql-core into the error's ``extensions``: the code and the offending field."""
        extensions = {"code": str(self.code)}
        if self.field is not None:
            extensions["field"] = self.field
        return extensions


class InvalidInput(RegistryError):
    code = ErrorCode.VALIDATION


class NotFound(RegistryError):
    code = ErrorCode.NOT_FOUND


class PersonalDataWithheld(RegistryError):
    """A personal-data field the principal may not read: the field is null and this error says why."""

    code = ErrorCode.PERSONAL_DATA_WITHHELD
