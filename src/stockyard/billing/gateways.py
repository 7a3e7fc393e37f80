"""The payment gateway interface, and `gateway_for` which builds the implementation of a configured payment method.

A gateway talks to whoever moves the money: a card network (the test gateway stands in for one), a manual process
(bank transfer, cash on delivery) or, later, Stripe. Services in billing/payments.py call it; nothing else does.
Rules every implementation keeps:
- `authorize` with an idempotency key seen before answers as the first time and never charges twice;
- `capture` may be called several times (partial captures) up to the authorised amount, `refund` several times up
  to the captured amount; more is refused with status "error";
- a call the provider does not answer in time raises `GatewayTimeout` (the money may or may not have moved:
  `void_by_key` reverses whatever the request with that key did);
- `verify_webhook` returns the parsed event, or raises `WebhookRejected` (bad or stale signature, bad body).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from sqlalchemy import Engine, select

from stockyard.billing.domain import CAPTURE_MODES
from stockyard.billing.models import PaymentMethod
from stockyard.core.crypto import SecretUnreadable, decrypt_secret
from stockyard.core.errors import Conflict, NotFound
from stockyard.core.uow import UnitOfWork

ResultStatus = Literal["approved", "declined", "requires_action", "pending", "error"]
EventType = Literal["authorized", "captured", "refunded", "voided", "failed"]


class GatewayTimeout(Exception):
    """The provider did not answer in time."""


class WebhookRejected(Exception):
    """A webhook whose signature is missing, wrong or too old, or whose body is not an event."""


@dataclass(frozen=True)
class CardInput:
    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder: str = ""

    def __repr__(self) -> str:  # never log a card number
        return f"CardInput(…{self.digits[-4:]}, {self.exp_month:02d}/{self.exp_year})"

    @property
    def digits(self) -> str:
        return "".join(ch for ch in self.number if ch not in " -")


@dataclass(frozen=True)
class AuthorizeRequest:
    amount: Decimal
    currency: str
    idempotency_key: str
    card: CardInput | None = None
    token: str | None = None
    description: str = ""
    # Where the customer comes back to after an extra confirmation step.
    return_url: str = ""
    # Authorise and capture in one call (capture at order).
    capture: bool = False


@dataclass(frozen=True)
class GatewayResult:
    status: ResultStatus
    reference: str | None = None
    action_url: str | None = None
    message: str = ""
    # What this call captured (authorise-and-capture) or what is captured in total after a capture.
    captured: Decimal = Decimal(0)


@dataclass(frozen=True)
class WebhookEvent:
    """A gateway's report about one charge. Amounts are the charge's totals after the event, so applying an
    event twice, or two events out of order, converges to the same state."""

    id: str
    type: EventType
    reference: str
    amount: Decimal
    captured: Decimal
    refunded: Decimal
    currency: str
    message: str = ""


@dataclass(frozen=True)
class ChargeStatus:
    """What the gateway knows about a charge now (for a customer returning from a confirmation step before the
    webhook arrived)."""

    reference: str
    event: EventType | None  # what the charge's state amounts to; None while it still waits for the customer
    amount: Decimal
    captured: Decimal
    refunded: Decimal
    currency: str
    message: str = ""


class Gateway(Protocol):
    key: str

    def authorize(self, request: AuthorizeRequest) -> GatewayResult: ...

    def capture(self, reference: str, amount: Decimal) -> GatewayResult: ...

    def void(self, reference: str) -> GatewayResult: ...

    def void_by_key(self, idempotency_key: str) -> GatewayResult: ...

    def refund(self, reference: str, amount: Decimal) -> GatewayResult: ...

    def retrieve(self, reference: str) -> ChargeStatus | None: ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent: ...


class CheckoutGateway(Protocol):
    """A provider as the storefront checkout talks to it: outside any transaction of ours, so whatever it records
    stays recorded whatever becomes of the order (as with a remote provider)."""

    def authorize(self, request: AuthorizeRequest) -> GatewayResult: ...

    def void_by_key(self, idempotency_key: str) -> GatewayResult: ...


@dataclass(frozen=True)
class MethodConfig:
    """A payment method as the payment services need it; secrets are decrypted only when a gateway is built."""

    id: int
    tenant_id: int
    name: str
    gateway: str
    active: bool
    settings: dict[str, Any]
    encrypted_secrets: dict[str, str]

    @property
    def capture_mode(self) -> str:
        mode = str(self.settings.get("capture") or "order")
        return mode if mode in CAPTURE_MODES else "order"

    @property
    def is_manual(self) -> bool:
        return self.gateway in MANUAL_GATEWAYS

    def secret(self, name: str) -> str | None:
        ciphertext = self.encrypted_secrets.get(name)
        if not ciphertext:
            return None
        try:
            return decrypt_secret(ciphertext)
        except SecretUnreadable:
            raise Conflict(f"the {name} of payment method '{self.name}' cannot be read with the current server key; "
                           "enter it again", field="method_id") from None


MANUAL_GATEWAYS = ("manual_bank_transfer", "cash_on_delivery")
_METHOD = PaymentMethod.__table__


def load_method(uow: UnitOfWork, method_id: int) -> MethodConfig:
    row = uow.conn.execute(
        select(_METHOD.c.id, _METHOD.c.tenant_id, _METHOD.c.name, _METHOD.c.gateway, _METHOD.c.active,
               _METHOD.c.settings, _METHOD.c.secrets)
        .where(_METHOD.c.id == method_id, _METHOD.c.tenant_id == uow.tenant_id)).first()
    if row is None:
        raise NotFound(f"unknown payment method {method_id}", field="method_id")
    return MethodConfig(row.id, row.tenant_id, row.name, row.gateway, row.active, dict(row.settings or {}),
                        dict(row.secrets or {}))


def build_gateway(uow: UnitOfWork, method: MethodConfig) -> Gateway:
    if method.is_manual:
        from stockyard.billing.manual import ManualGateway

        return ManualGateway(method.gateway)
    if method.gateway == "test":
        from stockyard.billing.test_gateway import SimulatedCardGateway

        return SimulatedCardGateway.for_method(uow.conn, method)
    raise Conflict(f"payments through {method.gateway} are not available yet; choose another payment method",
                   field="method_id")


def checkout_gateway(engine: Engine, method: MethodConfig) -> CheckoutGateway:
    if method.is_manual:
        from stockyard.billing.manual import ManualGateway

        return ManualGateway(method.gateway)
    if method.gateway == "test":
        from stockyard.billing.test_gateway import SimulatedCardProvider

        return SimulatedCardProvider(engine, method)
    raise Conflict(f"payments through {method.gateway} are not available yet; choose another payment method",
                   field="method_id")


def gateway_for(uow: UnitOfWork, method_id: int) -> Gateway:
    """The gateway of a configured payment method of the unit of work's tenant."""
    return build_gateway(uow, load_method(uow, method_id))
