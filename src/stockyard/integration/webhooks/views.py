"""Admin pages for outbound webhooks at /admin/webhooks: the list, new, the subscription's page (edit form, delivery
log, rotate secret, send a test event, resend a delivery) and delete. A new or rotated secret is shown once, in the
flash message after the redirect."""

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from stockyard.core.actor import Actor
from stockyard.core.uow import perform, read
from stockyard.identity.domain import INTEGRATION_MANAGE, INTEGRATION_VIEW
from stockyard.integration.webhooks import services
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_crud import INPUT_ERRORS, list_page, remove, submit
from stockyard.web.admin_forms import FormField, checked, lines
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, field_errors, flash, run, see_other

BASE = "/admin/webhooks"
FIELDS = (
    FormField("url", "Endpoint URL", required=True, placeholder="https://example.com/hooks/stockyard"),
    FormField("description", "Description"),
    FormField("event_types", "Event types", "textarea", required=True,
              hint='versioned types, one a line (order.placed.v1), or * for every event'),
    FormField("active", "Active", "checkbox"),
)
KNOWN = {f.name for f in FIELDS}

router = admin_router("/webhooks")
ADMIN_SECTIONS.append(("webhooks", BASE, "Webhooks"))


def command(form: Mapping[str, Any]) -> services.SubscriptionIn:
    return services.SubscriptionIn(url=str(form.get("url", "")).strip(),
                                   description=str(form.get("description", "")).strip(),
                                   event_types=lines(str(form.get("event_types", ""))), active=checked(form, "active"))


def _values(sub: Any) -> dict[str, Any]:
    return {"url": sub.url, "description": sub.description, "event_types": "\n".join(sub.event_types),
            "active": "on" if sub.active else ""}


def _new_form(request: Request, engine: Engine, actor: Actor, form: Mapping[str, Any],
              errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return admin_page(request, actor, "admin/commerce/form.html", status_code, section="webhooks",
                      title="New webhook", fields=FIELDS, form=dict(form), errors=errors or {},
                      action=f"{BASE}/new", delete_url=None, back_url=BASE, back_label="Webhooks", readonly=False,
                      intro="Stockyard signs every delivery with a secret that is shown once, after you save.")


def _record_page(request: Request, engine: Engine, actor: Actor, webhook_id: int, form: Mapping[str, Any] | None = None,
                 errors: dict[str, str] | None = None, status_code: int = 200, page_no: int = 1) -> Response:
    sub = read(engine, actor, services.get_subscription, webhook_id)
    deliveries = read(engine, actor, services.list_deliveries, webhook_id, page=page_no)
    return admin_page(request, actor, "admin/integration/webhook.html", status_code, section="webhooks", sub=sub,
                      fields=FIELDS, form=dict(form) if form is not None else _values(sub), errors=errors or {},
                      result=deliveries, readonly=not actor.can(INTEGRATION_MANAGE))


@router.get("", response_class=HTMLResponse)
def webhooks(request: Request, engine: EngineDep, actor: PageActor, q: str = "", sort: str = "",
             page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return list_page(request, engine, actor, services.list_subscriptions, "admin/integration/webhooks.html",
                     "webhooks", q, page_no, sort=sort)


@router.get("/new", response_class=HTMLResponse)
def new_webhook(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    actor.require(INTEGRATION_MANAGE)
    return _new_form(request, engine, actor, {"event_types": "*", "active": "on"})


@router.post("/new")
async def create_webhook(request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    try:
        created = await run(perform, engine, actor, services.create_subscription, command(form))
    except INPUT_ERRORS as error:
        errors, status = field_errors(error, KNOWN)
        return await run(partial(_new_form, request, engine, actor, form, errors, status))
    flash(request, f"Webhook created. Its signing secret, shown only this once: {created.secret}")
    return see_other(f"{BASE}/{created.id}")


@router.get("/{webhook_id}", response_class=HTMLResponse)
def webhook(webhook_id: int, request: Request, engine: EngineDep, actor: PageActor,
            page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    actor.require(INTEGRATION_VIEW)
    return _record_page(request, engine, actor, webhook_id, page_no=page_no)


@router.post("/{webhook_id}")
async def update_webhook(webhook_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    await run(read, engine, actor, services.get_subscription, webhook_id)  # an unknown id is a 404
    return await submit(request, form, engine, actor, services.update_subscription,
                        lambda f: (webhook_id, command(f)), known=KNOWN,
                        again=partial(_record_page, request, engine, actor, webhook_id),
                        message="Webhook {url} saved", to=f"{BASE}/{webhook_id}")


@router.post("/{webhook_id}/delete")
async def delete_webhook(webhook_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await remove(request, engine, actor, services.delete_subscription, webhook_id, message="Webhook deleted",
                        to=BASE)


@router.post("/{webhook_id}/rotate-secret")
async def rotate_secret(webhook_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    secret = await run(perform, engine, actor, services.rotate_secret, webhook_id)
    flash(request, f"New signing secret, shown only this once: {secret}. Deliveries are signed with it from now on.")
    return see_other(f"{BASE}/{webhook_id}")


@router.post("/{webhook_id}/test")
async def send_test(webhook_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, services.send_test_event, webhook_id)
    flash(request, "A test event is queued; it appears in the delivery log once sent.")
    return see_other(f"{BASE}/{webhook_id}")


@router.post("/{webhook_id}/deliveries/{delivery_id}/resend")
async def resend(webhook_id: int, delivery_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    await check_csrf(request)
    await run(perform, engine, actor, services.resend_delivery, webhook_id, delivery_id)
    flash(request, f"Delivery {delivery_id} will be sent again.")
    return see_other(f"{BASE}/{webhook_id}")
