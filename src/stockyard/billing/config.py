"""Payment methods: use cases (create, edit, delete) and read models that never return a stored secret."""

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from stockyard.billing.domain import GATEWAYS, GatewaySpec, check_new_secrets, check_settings, gateway_spec, secret_hint
from stockyard.billing.models import PaymentMethod
from stockyard.core.crypto import SecretUnreadable, decrypt_secret, encrypt_secret
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.outbox import add_event
from stockyard.core.pagination import Page, paginate, sorted_by
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import SETTINGS_MANAGE, SETTINGS_VIEW
from stockyard.sales.channels import channel_by_code
from stockyard.sales.models import Channel


class PaymentMethodIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    gateway: str
    channel: str | None = Field(default=None, description="channel code; none offers the method on every channel")
    position: int = Field(default=0, ge=0, le=100000)
    active: bool = True
    settings: dict[str, str] = Field(default_factory=dict)
    secrets: dict[str, str] = Field(default_factory=dict, description="only the secrets to set or replace")


@dataclass(frozen=True)
class PaymentMethodView:
    id: int
    name: str
    gateway: str
    gateway_label: str
    channel_code: str | None
    position: int
    active: bool
    settings: dict[str, Any]
    secrets: dict[str, str]  # secret name → "set, ends with …abcd" (or a note that it cannot be read)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "gateway": self.gateway, "channel": self.channel_code,
                "position": self.position, "active": self.active, "settings": self.settings,
                "secrets": self.secrets}


def _audit(method: PaymentMethod) -> dict[str, Any]:
    """What an event may carry: the settings and which secrets are set, never their values."""
    return {"id": method.id, "name": method.name, "gateway": method.gateway, "channel_id": method.channel_id,
            "position": method.position, "active": method.active, "settings": dict(method.settings),
            "secrets_set": sorted(method.secrets)}


def _load(uow: UnitOfWork, method_id: int) -> PaymentMethod:
    found = uow.execute(select(PaymentMethod).where(PaymentMethod.id == method_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"unknown payment method {method_id}", field="method_id")
    return found


def _values(uow: UnitOfWork, cmd: PaymentMethodIn, stored: dict[str, str],
            except_id: int | None) -> dict[str, Any]:
    spec = gateway_spec(cmd.gateway)
    channel_id = channel_by_code(uow, cmd.channel).id if cmd.channel and cmd.channel.strip() else None
    settings = check_settings(spec, cmd.settings)
    kept = {name: value for name, value in stored.items() if name in {f.name for f in spec.secrets}}
    fresh = check_new_secrets(spec, cmd.secrets, set(kept))
    clash = select(PaymentMethod.id).where(func.lower(PaymentMethod.name) == cmd.name.strip().lower())
    if except_id is not None:
        clash = clash.where(PaymentMethod.id != except_id)
    if uow.execute(clash).first() is not None:
        raise Conflict(f"a payment method named '{cmd.name}' exists already", field="name")
    secrets = {**kept, **{name: encrypt_secret(value) for name, value in fresh.items()}}
    return {"name": cmd.name.strip(), "gateway": spec.key, "channel_id": channel_id, "position": cmd.position,
            "active": cmd.active, "settings": settings, "secrets": secrets}


def create_payment_method(uow: UnitOfWork, cmd: PaymentMethodIn) -> int:
    uow.require(SETTINGS_MANAGE)
    method = PaymentMethod(tenant_id=uow.tenant_id, **_values(uow, cmd, {}, None))
    uow.session.add(method)
    uow.session.flush()
    add_event(uow, "payment_method.created.v1", {"after": _audit(method)})
    return method.id


def update_payment_method(uow: UnitOfWork, method_id: int, cmd: PaymentMethodIn) -> None:
    """Secrets left empty keep their stored value (when the gateway is unchanged)."""
    uow.require(SETTINGS_MANAGE)
    method = _load(uow, method_id)
    stored = dict(method.secrets) if cmd.gateway == method.gateway else {}
    values = _values(uow, cmd, stored, method_id)
    before = _audit(method)
    for key, value in values.items():
        setattr(method, key, value)
    uow.session.flush()
    replaced = sorted(name for name, value in cmd.secrets.items() if value.strip())
    add_event(uow, "payment_method.updated.v1", {"id": method_id, "before": before, "after": _audit(method),
                                                 "secrets_replaced": replaced})


def delete_payment_method(uow: UnitOfWork, method_id: int) -> None:
    uow.require(SETTINGS_MANAGE)
    method = _load(uow, method_id)
    before = _audit(method)
    uow.session.delete(method)
    uow.session.flush()
    add_event(uow, "payment_method.deleted.v1", {"id": method_id, "before": before})


# ---- read models ----------------------------------------------------------------------------------------------

def _hint(ciphertext: str) -> str:
    try:
        return secret_hint(decrypt_secret(ciphertext))
    except SecretUnreadable:
        return "set, but unreadable with the current secret key: replace it"


def _view(method: PaymentMethod, channel_code: str | None) -> PaymentMethodView:
    spec = GATEWAYS[method.gateway]
    return PaymentMethodView(method.id, method.name, method.gateway, spec.label, channel_code, method.position,
                             method.active, dict(method.settings),
                             {name: _hint(value) for name, value in sorted(method.secrets.items())})


@requires(SETTINGS_VIEW)
def list_payment_methods(uow: UnitOfWork, q: str = "", page: int = 1, per_page: int = 50,
                         sort: str = "") -> Page[PaymentMethodView]:
    """Searched by name or gateway; `sort` is a column key ("-key" descending), by position (the checkout's order)
    when it names none."""
    stmt = select(PaymentMethod, Channel.code).outerjoin(Channel, Channel.id == PaymentMethod.channel_id)
    stmt, sort = sorted_by(stmt, sort, {
        "position": (PaymentMethod.position, PaymentMethod.name), "name": PaymentMethod.name,
        "gateway": PaymentMethod.gateway, "channel": Channel.code, "active": PaymentMethod.active}, "position")
    stmt = stmt.order_by(PaymentMethod.id)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(PaymentMethod.name).like(like), func.lower(PaymentMethod.gateway).like(like)))
    result = paginate(uow.execute, stmt, page, per_page, sort)
    return Page([_view(m, code) for m, code in result.items], result.total, result.page, result.per_page, sort)


@requires(SETTINGS_VIEW)
def get_payment_method(uow: UnitOfWork, method_id: int) -> PaymentMethodView:
    method = _load(uow, method_id)
    code = None
    if method.channel_id is not None:
        code = uow.execute(select(Channel.code).where(Channel.id == method.channel_id)).scalar()
    return _view(method, code)


def gateway_specs() -> list[GatewaySpec]:
    return list(GATEWAYS.values())
