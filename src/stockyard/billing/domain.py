"""What each payment gateway needs: its settings (shown) and secrets (stored encrypted, never shown back)."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from stockyard.core.errors import ValidationFailed

Check = Callable[[str], str]
# When a card payment is captured: right after it is approved, or when the order ships (then it stays authorised).
CAPTURE_MODES = ("order", "shipment")


def _text(limit: int) -> Check:
    def check(value: str) -> str:
        if len(value) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value

    return check


def _iban(value: str) -> str:
    iban = re.sub(r"\s+", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}", iban):
        raise ValueError("is not an IBAN (country code, check digits, account)")
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise ValueError("has wrong check digits")
    return iban


def _bic(value: str) -> str:
    bic = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", bic):
        raise ValueError("is not a BIC (8 or 11 letters and digits)")
    return bic


def _amount(value: str) -> str:
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError("must be an amount like 2.50") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be a non-negative amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("has more than 2 decimal places")
    return str(amount.quantize(Decimal("0.01")))


def _whole_days(low: int, high: int) -> Check:
    def check(value: str) -> str:
        if not value.strip().isdigit() or not low <= int(value) <= high:
            raise ValueError(f"must be a whole number of days from {low} to {high}")
        return str(int(value))

    return check


def _choice(*options: str) -> Check:
    def check(value: str) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return check


def _prefixed(*prefixes: str) -> Check:
    def check(value: str) -> str:
        if not value.startswith(prefixes) or len(value) < 12 or re.search(r"\s", value):
            raise ValueError(f"does not look like a key starting with {' or '.join(prefixes)}")
        return value

    return check


PAYMENT_DAYS = "payment_days"  # bank transfer: an order not paid within them is cancelled (sales/jobs.py)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    check: Check
    required: bool = False


@dataclass(frozen=True)
class GatewaySpec:
    key: str
    label: str
    settings: tuple[FieldSpec, ...] = ()
    secrets: tuple[FieldSpec, ...] = ()
    # False while no adapter exists: the method can be configured ahead, but is never offered at checkout.
    available: bool = True


GATEWAYS: dict[str, GatewaySpec] = {
    spec.key: spec
    for spec in (
        GatewaySpec("manual_bank_transfer", "Bank transfer (manual)", settings=(
            FieldSpec("account_holder", "Account holder", _text(140), required=True),
            FieldSpec("iban", "IBAN", _iban, required=True),
            FieldSpec("bic", "BIC", _bic),
            FieldSpec(PAYMENT_DAYS, "Days to pay before an unpaid order is cancelled (empty: staff decide)",
                      _whole_days(1, 90)),
            FieldSpec("instructions", "Instructions for the customer", _text(1000)),
        )),
        GatewaySpec("cash_on_delivery", "Cash on delivery", settings=(
            FieldSpec("fee", "Fee", _amount),
            FieldSpec("max_order_value", "Highest order value", _amount),
        )),
        GatewaySpec("test", "Test gateway", settings=(
            FieldSpec("outcome", "Outcome of every payment", _choice("approve", "decline"), required=True),
            FieldSpec("capture", "Capture the payment (order or shipment; default order)", _choice(*CAPTURE_MODES)),
            FieldSpec("timeout_seconds", "Seconds before card …0119 times out (default 2)", _amount),
        ), secrets=(
            FieldSpec("webhook_secret", "Webhook signing secret (default: derived from the server's key)",
                      _text(200)),
        )),
        GatewaySpec("stripe", "Stripe (no adapter yet: never offered at checkout)", available=False, settings=(
            FieldSpec("publishable_key", "Publishable key", _prefixed("pk_test_", "pk_live_"), required=True),
            FieldSpec("capture", "Capture the payment (order or shipment; default order)", _choice(*CAPTURE_MODES)),
        ), secrets=(
            FieldSpec("secret_key", "Secret key", _prefixed("sk_test_", "sk_live_", "rk_test_", "rk_live_"),
                      required=True),
            FieldSpec("webhook_secret", "Webhook signing secret", _prefixed("whsec_"), required=True),
        )),
    )
}


AVAILABLE_GATEWAYS = tuple(key for key, spec in GATEWAYS.items() if spec.available)


def gateway_spec(gateway: str) -> GatewaySpec:
    spec = GATEWAYS.get(gateway)
    if spec is None:
        raise ValidationFailed(f"must be one of {', '.join(GATEWAYS)}", field="gateway")
    return spec


def check_settings(spec: GatewaySpec, given: Mapping[str, str]) -> dict[str, str]:
    known = {f.name for f in spec.settings}
    for name in given:
        if name not in known:
            raise ValidationFailed(f"is not a setting of {spec.label}", field=f"settings.{name}")
    out: dict[str, str] = {}
    for field in spec.settings:
        value = str(given.get(field.name, "")).strip()
        if not value:
            if field.required:
                raise ValidationFailed("is required", field=f"settings.{field.name}")
            continue
        try:
            out[field.name] = field.check(value)
        except ValueError as error:
            raise ValidationFailed(str(error), field=f"settings.{field.name}") from None
    return out


def check_new_secrets(spec: GatewaySpec, given: Mapping[str, str], stored: set[str]) -> dict[str, str]:
    """The secrets to (re)place: filled-in fields only; a required secret must be given unless already stored."""
    known = {f.name for f in spec.secrets}
    for name in given:
        if name not in known:
            raise ValidationFailed(f"is not a secret of {spec.label}", field=f"secrets.{name}")
    out: dict[str, str] = {}
    for field in spec.secrets:
        value = str(given.get(field.name, "")).strip()
        if not value:
            if field.required and field.name not in stored:
                raise ValidationFailed("is required", field=f"secrets.{field.name}")
            continue
        try:
            out[field.name] = field.check(value)
        except ValueError as error:
            raise ValidationFailed(str(error), field=f"secrets.{field.name}") from None
    return out


def secret_hint(plaintext: str) -> str:
    return f"set, ends with …{plaintext[-4:]}"
