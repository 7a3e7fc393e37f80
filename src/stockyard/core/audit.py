"""The audit log: one append-only row per outbox event, written by `core/outbox.add_events` in the same statement
batch as the event, so no service can change state without leaving a trace.

The model lives in core (not identity) because core/outbox.py writes it and core imports no context; identity
only reads it (identity/audit.py). The database refuses UPDATE and DELETE on the table (triggers in migration 0004).

Payload convention (shared by every service): an update or deletion carries `"before"` and `"after"` (the
object's fields before and after the change; `"after": None` for a deletion). Without an `"after"` key the whole
payload is what happened. The object is named by `<entity>_id` or `id` (entity = the event type's first part),
else by the document the payload names, else by its first `<thing>_id` / `<thing>_ids` key.
"""

from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from stockyard.core.actor import Actor
from stockyard.core.db import Base
from stockyard.core.tenancy import TenantOwned

# Set per HTTP request by web/request_id.py; jobs and the CLI have none.
REQUEST_ID: ContextVar[str] = ContextVar("stockyard_request_id", default="")

OBJECT_ID_LENGTH = 200


class AuditEntry(TenantOwned, Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_tenant_time", "tenant_id", "created_at"),
        Index("ix_audit_log_tenant_object", "tenant_id", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Declared here (not by the mixin) so that the table has no single-column tenant index besides the ones above.
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    created_at: Mapped[datetime] = mapped_column()
    event_id: Mapped[str] = mapped_column(String(36))
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    request_id: Mapped[str] = mapped_column(String(64))


def audit_object(event_type: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(object type, object id) of an event, by the payload convention above."""
    entity = event_type.split(".", 1)[0]
    for key in (f"{entity}_id", "id"):
        if _is_scalar(payload.get(key)):
            return entity, str(payload[key])
    if payload.get("document_type") and payload.get("document_id"):
        return str(payload["document_type"]), str(payload["document_id"])
    for key, value in payload.items():
        if key.endswith("_id") and _is_scalar(value):
            return key.removesuffix("_id"), str(value)
        if key.endswith("_ids") and isinstance(value, list) and value:
            return key.removesuffix("_ids"), _joined(value)
    return entity, ""


def audit_changes(payload: dict[str, Any]) -> tuple[Any, Any]:
    """(before, after) of an event."""
    return payload.get("before"), payload.get("after", payload)


def audit_rows(actor: Actor, events: list[tuple[str, dict[str, Any]]], event_ids: list[str],
               created_at: datetime) -> list[dict[str, Any]]:
    request_id = REQUEST_ID.get()
    rows = []
    for (event_type, payload), event_id in zip(events, event_ids, strict=True):
        object_type, object_id = audit_object(event_type, payload)
        before, after = audit_changes(payload)
        rows.append({
            "event_id": event_id, "tenant_id": actor.tenant_id, "created_at": created_at,
            "actor_id": actor.user_id, "actor_name": actor.name, "action": event_type,
            "object_type": object_type, "object_id": object_id, "before": before, "after": after,
            "request_id": request_id,
        })
    return rows


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and value != ""


def _joined(values: list[Any]) -> str:
    text = ",".join(str(v) for v in values)
    if len(text) <= OBJECT_ID_LENGTH:
        return text
    return text[: OBJECT_ID_LENGTH - 1].rsplit(",", 1)[0] + "…"
