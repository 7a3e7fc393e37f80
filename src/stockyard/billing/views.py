"""Admin pages for payment methods at /admin/payments. A stored secret is never shown: only whether it is set."""

from collections.abc import Mapping
from functools import partial
from typing import Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from stockyard.billing import config
from stockyard.billing.domain import GatewaySpec, gateway_spec
from stockyard.core.actor import Actor
from stockyard.core.uow import read
from stockyard.identity.domain import SETTINGS_MANAGE
from stockyard.sales.channels import channel_choices
from stockyard.web.admin import ADMIN_SECTIONS, admin_page, admin_router
from stockyard.web.admin_crud import list_page, remove, submit
from stockyard.web.admin_forms import FormField, checked
from stockyard.web.deps import EngineDep, PageActor
from stockyard.web.pages import check_csrf, given, run

BASE = "/admin/payments"

router = admin_router("/payments")
ADMIN_SECTIONS.append(("payments", BASE, "Payments"))


def fields_for(spec: GatewaySpec, channels: list[tuple[str, str]]) -> tuple[FormField, ...]:
    common = (
        FormField("name", "Name shown to customers", required=True),
        FormField("channel", "Channel", "select", options=channels, hint="empty: every channel"),
        FormField("position", "Order", "number"),
        FormField("active", "Enabled", "checkbox"),
    )
    settings = tuple(FormField(f"settings.{f.name}", f.label, "textarea" if f.name == "instructions" else "text",
                               required=f.required) for f in spec.settings)
    secrets = tuple(FormField(f"secrets.{f.name}", f.label, "secret", required=f.required) for f in spec.secrets)
    return common + settings + secrets


def command(spec: GatewaySpec, form: Mapping[str, Any]) -> config.PaymentMethodIn:
    return config.PaymentMethodIn(
        **given(form, "name", "channel", "position"), gateway=spec.key, active=checked(form, "active"),
        settings={f.name: str(form.get(f"settings.{f.name}", "")) for f in spec.settings},
        secrets={f.name: str(form.get(f"secrets.{f.name}", "")) for f in spec.secrets})


def form_page(request: Request, engine: Any, actor: Actor, spec: GatewaySpec, form: Mapping[str, Any],
              method: config.PaymentMethodView | None = None, errors: dict[str, str] | None = None,
              status_code: int = 200) -> Response:
    fields = fields_for(spec, read(engine, actor, channel_choices))
    hints = {f"secrets.{name}": hint for name, hint in (method.secrets if method else {}).items()}
    visible = {k: v for k, v in form.items() if not k.startswith("secrets.")}  # typed secrets are not echoed back
    return admin_page(request, actor, "admin/commerce/form.html", status_code, section="payments",
                      title=f"New payment method: {spec.label}" if method is None else f"{method.name} ({spec.label})",
                      fields=fields, form=visible, errors=errors or {}, secret_hints=hints,
                      action=f"{BASE}/new?gateway={spec.key}" if method is None else f"{BASE}/{method.id}",
                      delete_url=None if method is None else f"{BASE}/{method.id}/delete",
                      back_url=BASE, back_label="Payment methods", readonly=not actor.can(SETTINGS_MANAGE))


def names(spec: GatewaySpec) -> set[str]:
    return ({"name", "channel", "position", "active"} | {f"settings.{f.name}" for f in spec.settings}
            | {f"secrets.{f.name}" for f in spec.secrets})


@router.get("", response_class=HTMLResponse)
def payment_methods(request: Request, engine: EngineDep, actor: PageActor, q: str = "", sort: str = "",
                    page_no: int = Query(default=1, ge=1, alias="page")) -> Response:
    return list_page(request, engine, actor, config.list_payment_methods, "admin/commerce/payments.html", "payments",
                     q, page_no, sort=sort, gateways=config.gateway_specs())


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, engine: EngineDep, actor: PageActor, gateway: str = Query(min_length=1)) -> Response:
    actor.require(SETTINGS_MANAGE)
    spec = gateway_spec(gateway)
    return form_page(request, engine, actor, spec, {"name": spec.label, "position": "0", "active": "on"})


@router.post("/new")
async def create(request: Request, engine: EngineDep, actor: PageActor, gateway: str = Query(min_length=1)) -> Response:
    form = await check_csrf(request)
    spec = gateway_spec(gateway)
    return await submit(request, form, engine, actor, config.create_payment_method,
                        lambda form: (command(spec, form),), known=names(spec),
                        again=partial(form_page, request, engine, actor, spec, method=None),
                        message="Payment method {name} created", to=lambda method_id: f"{BASE}/{method_id}")


def _form_of(method: config.PaymentMethodView) -> dict[str, Any]:
    form: dict[str, Any] = {"name": method.name, "channel": method.channel_code or "", "position": method.position,
                            "active": "on" if method.active else ""}
    form.update({f"settings.{k}": v for k, v in method.settings.items()})
    return form


@router.get("/{method_id}", response_class=HTMLResponse)
def detail(method_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    method = read(engine, actor, config.get_payment_method, method_id)
    return form_page(request, engine, actor, gateway_spec(method.gateway), _form_of(method), method)


@router.post("/{method_id}")
async def update(method_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    form = await check_csrf(request)
    method = await run(read, engine, actor, config.get_payment_method, method_id)
    spec = gateway_spec(method.gateway)
    return await submit(request, form, engine, actor, config.update_payment_method,
                        lambda form: (method_id, command(spec, form)), known=names(spec),
                        again=partial(form_page, request, engine, actor, spec, method=method),
                        message="Payment method {name} saved", to=f"{BASE}/{method_id}")


@router.post("/{method_id}/delete")
async def delete(method_id: int, request: Request, engine: EngineDep, actor: PageActor) -> Response:
    return await remove(request, engine, actor, config.delete_payment_method, method_id,
                        message="Payment method deleted", to=BASE)
