"""Typed domain errors. They carry no HTTP codes; the web edge maps them (web/errors.py)."""

from dataclasses import dataclass
from dataclasses import field as dataclass_field


@dataclass
class DomainError(Exception):
    """A business rule refused the action. `field` names the input at fault, when there is one."""

    message: str
    field: str | None = None
    details: dict[str, object] = dataclass_field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ValidationFailed(DomainError):
    """The input is malformed or out of range."""


class NotFound(DomainError):
    """A referenced object does not exist (or belongs to another tenant, which is the same to the caller)."""


class Conflict(DomainError):
    """The action clashes with the current state (not enough stock, wrong state, duplicate code)."""


class PermissionDenied(DomainError):
    """The actor lacks the named permission."""


class NotAuthenticated(DomainError):
    """No valid credentials were presented."""


@dataclass
class RowErrors(DomainError):
    """A file import failed; `rows` lists (line number, field, message). Nothing was written."""

    rows: list[tuple[int, str, str]] = dataclass_field(default_factory=list)
