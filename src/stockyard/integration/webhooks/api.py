"""JSON API for outbound webhooks at /api/v1/webhooks: subscriptions (list, create, read, update, delete, rotate the
secret, send a test event) and their delivery log (list, resend). The secret is in the answer to create and rotate
only."""

from typing import Any

from fastapi import APIRouter, Response

from stockyard.core.uow import perform, read
from stockyard.integration.webhooks import services
from stockyard.web.deps import ApiActor, EngineDep

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.get("")
def list_webhooks(engine: EngineDep, actor: ApiActor, q: str = "", sort: str = "", page: int = 1,
                  per_page: int = 50) -> dict[str, Any]:
    found = read(engine, actor, services.list_subscriptions, q=q, page=page, per_page=per_page, sort=sort)
    return {"total": found.total, "page": found.page, "per_page": found.per_page, "sort": found.sort,
            "items": [services.subscription_dict(s) for s in found.items]}


@router.post("", status_code=201)
def create_webhook(body: services.SubscriptionIn, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    created = perform(engine, actor, services.create_subscription, body)
    sub = read(engine, actor, services.get_subscription, created.id)
    return {**services.subscription_dict(sub), "secret": created.secret}


@router.get("/{webhook_id}")
def get_webhook(webhook_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    return services.subscription_dict(read(engine, actor, services.get_subscription, webhook_id))


@router.put("/{webhook_id}")
def update_webhook(webhook_id: int, body: services.SubscriptionIn, engine: EngineDep,
                   actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, services.update_subscription, webhook_id, body)
    return services.subscription_dict(read(engine, actor, services.get_subscription, webhook_id))


@router.delete("/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: int, engine: EngineDep, actor: ApiActor) -> Response:
    perform(engine, actor, services.delete_subscription, webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/rotate-secret")
def rotate_webhook_secret(webhook_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    secret = perform(engine, actor, services.rotate_secret, webhook_id)
    return {"id": webhook_id, "secret": secret, "secret_hint": services.domain.secret_hint(secret)}


@router.post("/{webhook_id}/test")
def send_test_webhook(webhook_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    delivery_id = perform(engine, actor, services.send_test_event, webhook_id)
    return {"delivery_id": delivery_id, "status": "pending"}


@router.get("/{webhook_id}/deliveries")
def list_webhook_deliveries(webhook_id: int, engine: EngineDep, actor: ApiActor, page: int = 1,
                            per_page: int = 25) -> dict[str, Any]:
    found = read(engine, actor, services.list_deliveries, webhook_id, page=page, per_page=per_page)
    return {"total": found.total, "page": found.page, "per_page": found.per_page,
            "items": [d.as_dict() for d in found.items]}


@router.post("/{webhook_id}/deliveries/{delivery_id}/resend")
def resend_webhook_delivery(webhook_id: int, delivery_id: int, engine: EngineDep, actor: ApiActor) -> dict[str, Any]:
    perform(engine, actor, services.resend_delivery, webhook_id, delivery_id)
    return {"delivery_id": delivery_id, "status": "pending"}
