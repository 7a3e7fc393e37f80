"""JSON API of channel connections under /api/v1/channels.

- `POST /channels/{connection_id}/orders`: a connected site's order webhook. Authenticated by the connection's
  signature (see the adapter modules for each platform's header), not by an API key: 401 when the signature is
  missing or wrong, 403 when the connection is deactivated, 409 naming our order when the site's order was
  received before (200 when the delivery reports the payment of an order we hold awaiting it), 422 naming the field
  or line for a bad order; 201 with our order otherwise.
- `GET/POST /channels/connections`, `GET/PUT /channels/connections/{id}`, `POST .../{id}/deactivate`,
  `POST .../{id}/rotate-secret` (channels.manage); the webhook secret is in the answer of create and rotate only.
- `POST /channels/connections/{id}/orders.csv` (orders.place): a CSV of the site's orders as the request body, or
  JSON {"csv": "..."} (integration/channels/csv_orders.py documents the columns); the report of created and refused
  orders (422 when nothing could be created).
- `POST /channels/connections/{id}/poll` (channels.manage): poll the site for orders now.
"""

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from stockyard.core.errors import ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import CHANNELS_MANAGE
from stockyard.integration.channels import connections as svc
from stockyard.integration.channels.csv_orders import import_orders_csv
from stockyard.integration.channels.inbound import receive_channel_order
from stockyard.integration.channels.polling import poll_connection
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(prefix="/channels", tags=["channels"])
MAX_ORDER_BYTES = 1_000_000


def connection_json(c: svc.ConnectionView) -> dict[str, Any]:
    return {"id": c.id, "channel": {"id": c.channel_id, "code": c.channel_code}, "name": c.name,
            "adapter": c.adapter, "base_url": c.base_url, "external_site_id": c.external_site_id,
            "has_api_token": c.has_api_token, "poll_orders": c.poll_orders, "poll_cursor": c.poll_cursor,
            "last_polled_at": c.last_polled_at.isoformat() if c.last_polled_at else None,
            "last_error": c.last_error, "active": c.active, "created_at": c.created_at.isoformat(),
            "orders_received": c.orders_received, "webhook_path": c.webhook_path}


@router.post("/{connection_id}/orders", status_code=201)
async def receive_order(connection_id: int, request: Request, engine: EngineDep) -> JSONResponse:
    """201 with the new order; 200 when the delivery only reported the payment of an order received before."""
    body = await request.body()
    if len(body) > MAX_ORDER_BYTES:
        raise ValidationFailed(f"the order is larger than {MAX_ORDER_BYTES // 1000} kB", field="body")
    received = await run_in_threadpool(receive_channel_order, engine, connection_id, dict(request.headers), body)
    return JSONResponse(received.as_json(), status_code=200 if received.updated else 201)


@router.get("/connections")
def list_connections(engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return {"items": [connection_json(c) for c in read(engine, actor, svc.list_connections)]}


@router.post("/connections", status_code=201)
def create_connection(body: svc.ConnectionIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    created = perform(engine, actor, svc.create_connection, body)
    view = read(engine, actor, svc.get_connection, created.id)
    return {**connection_json(view), "webhook_secret": created.webhook_secret}


@router.get("/connections/{connection_id}")
def get_connection(connection_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return connection_json(read(engine, actor, svc.get_connection, connection_id))


@router.put("/connections/{connection_id}")
def update_connection(connection_id: int, body: svc.ConnectionIn, engine: EngineDep,
                      actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, svc.update_connection, connection_id, body)
    return connection_json(read(engine, actor, svc.get_connection, connection_id))


@router.post("/connections/{connection_id}/deactivate")
def deactivate_connection(connection_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, svc.deactivate_connection, connection_id)
    return connection_json(read(engine, actor, svc.get_connection, connection_id))


@router.post("/connections/{connection_id}/rotate-secret")
def rotate_secret(connection_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    secret = perform(engine, actor, svc.rotate_webhook_secret, connection_id)
    return {"id": connection_id, "webhook_secret": secret}


@router.post("/connections/{connection_id}/orders.csv",
             openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def upload_orders_csv(connection_id: int, request: Request, engine: EngineDep,
                            actor: ApiActor) -> JSONResponse:
    """The CSV as the body (text/csv), or a JSON body {"csv": "<the file's text>"}."""
    data = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            text = json.loads(data).get("csv")
        except (ValueError, AttributeError):
            text = None
        if not isinstance(text, str):
            raise ValidationFailed("a JSON body needs the file's text under \"csv\"", field="csv")
        data = text.encode()
    report = await run_in_threadpool(import_orders_csv, engine, actor, connection_id, data)
    status = 422 if report.rows and not report.created else 200
    return JSONResponse(report.as_json(), status_code=status)


@router.post("/connections/{connection_id}/poll")
def poll_now(connection_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    read(engine, actor, svc.get_connection, connection_id)  # channels.manage, and the tenant's own connection
    actor.require(CHANNELS_MANAGE)
    report = poll_connection(engine, connection_id)
    return {"received": report.received, "duplicates": report.duplicates,
            "refused": [{"external_id": e, "message": m} for e, m in report.refused], "error": report.error}
