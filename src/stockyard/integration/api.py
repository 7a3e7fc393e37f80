"""JSON API of the integration layer: the schema of every event type (`GET /api/v1/events/schema`)."""

from typing import Any

from fastapi import APIRouter

from stockyard.integration.event_schemas import schema_document

router = APIRouter(prefix="/events", tags=["events"])
_DOCUMENT = schema_document()


@router.get("/schema")
def events_schema() -> dict[str, Any]:
    """Public like the OpenAPI document: event payload schemas are documentation, not a tenant's data."""
    return _DOCUMENT
