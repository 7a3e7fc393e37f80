"""The payment methods a shop offers at checkout: active methods of the channel, and those offered on every channel.
Only what a customer may see (name, gateway, the instructions of a manual method); never settings or secrets."""

from dataclasses import dataclass

from sqlalchemy import or_, select

from stockyard.billing.domain import AVAILABLE_GATEWAYS, GATEWAYS, PAYMENT_DAYS
from stockyard.billing.models import PaymentMethod
from stockyard.core.uow import UnitOfWork, requires
from stockyard.identity.domain import ORDERS_PLACE

_methods = PaymentMethod.__table__
# Gateways whose checkout needs the customer's card details on our form (the test gateway stands in for a card
# network); the others collect nothing at checkout.
CARD_GATEWAYS = frozenset({"test"})


@dataclass(frozen=True)
class OfferedMethod:
    id: int
    name: str
    gateway: str
    gateway_label: str
    instructions: str

    @property
    def takes_card(self) -> bool:
        return self.gateway in CARD_GATEWAYS


@requires(ORDERS_PLACE)
def offered_payment_methods(uow: UnitOfWork, channel_id: int) -> list[OfferedMethod]:
    """Active methods offered on the channel (or on every channel) whose gateway has an adapter, in their
    configured order."""
    rows = uow.conn.execute(
        select(_methods.c.id, _methods.c.name, _methods.c.gateway, _methods.c.settings)
        .where(_methods.c.tenant_id == uow.tenant_id, _methods.c.active.is_(True),
               _methods.c.gateway.in_(AVAILABLE_GATEWAYS),
               or_(_methods.c.channel_id == channel_id, _methods.c.channel_id.is_(None)))
        .order_by(_methods.c.position, _methods.c.name))
    return [OfferedMethod(r.id, r.name, r.gateway, GATEWAYS[r.gateway].label if r.gateway in GATEWAYS else r.gateway,
                          _instructions(r.gateway, dict(r.settings or {}))) for r in rows]


def _instructions(gateway: str, settings: dict[str, str]) -> str:
    if gateway == "manual_bank_transfer":
        parts = [settings.get("instructions", ""), f"Account holder: {settings.get('account_holder', '')}",
                 f"IBAN: {settings.get('iban', '')}"]
        if settings.get("bic"):
            parts.append(f"BIC: {settings['bic']}")
        if settings.get(PAYMENT_DAYS):
            parts.append(f"Please pay within {settings[PAYMENT_DAYS]} days of ordering; an order not paid by then is "
                         "cancelled.")
        return "\n".join(p for p in parts if p)
    if gateway == "cash_on_delivery" and settings.get("fee"):
        return f"A fee of {settings['fee']} is collected on delivery."
    return ""


def offered_method(uow: UnitOfWork, channel_id: int, method_id: int) -> OfferedMethod | None:
    return next((m for m in offered_payment_methods(uow, channel_id) if m.id == method_id), None)
