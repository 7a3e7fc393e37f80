"""Inbound orders, normalised: what every adapter (webhook, poll, CSV) turns a site's order into, and the pure rules
applied to it before it becomes an order of ours. No I/O here.

Public names (stable): `InboundAddress`, `InboundCustomer`, `InboundLine`, `InboundOrder`, `PAYMENT_STATUSES`,
`check_inbound_order`, `ChargedLine`, `charged_lines`, `line_unit_price`, `site_total_differs`, `decimal_of`,
`quantity_of`.

Pricing rule: the site's price is what the customer was charged, so an inbound line keeps the site's amount
(its line total after the site's discounts, divided by the quantity for the unit price), never our price list's;
the shipping charged by the site is kept too. Amounts are brought into the channel's tax convention: a site quoting
net amounts with their tax beside them (WooCommerce) gives gross prices to a channel whose prices include tax, and
the other way round; repeated lines of one SKU become one line of ours. Tax is split at the channel's rate and
inclusion (as for every order of the channel); when the site's own grand total differs from ours by more than a
cent, the order's timeline says so (the order is not refused: the money was taken already).

Payment status: 'paid' (the site collected the money: the order moves on to paid and is allocated) or 'pending'
(awaiting payment: the units are allocated at once, as for a manual payment, and wait). Anything else a platform
reports is mapped by its adapter onto one of these two, or refused (a refunded or cancelled order is not taken in).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from stockyard.core.errors import ValidationFailed

PAYMENT_STATUSES = ("paid", "pending")
MAX_LINES = 200
MAX_QUANTITY = 9999
_CENT = Decimal("0.01")
_UNIT = Decimal("0.0001")


@dataclass(frozen=True)
class InboundAddress:
    name: str
    line1: str
    city: str
    country: str
    line2: str = ""
    region: str = ""
    postcode: str = ""
    phone: str = ""


@dataclass(frozen=True)
class InboundCustomer:
    email: str
    # The site's id of its customer; None for a guest checkout on the site.
    external_id: str | None = None
    name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class InboundLine:
    sku: str
    quantity: int
    # What the customer paid for the whole line on the site, after the site's discounts.
    line_total: Decimal
    name: str = ""
    # The tax the site charged on the line (included in line_total or on top, as the order says).
    tax: Decimal = Decimal(0)


@dataclass(frozen=True)
class InboundOrder:
    external_id: str
    currency: str
    payment_status: str
    customer: InboundCustomer
    shipping_address: InboundAddress
    lines: tuple[InboundLine, ...]
    shipping_total: Decimal = Decimal(0)
    shipping_tax: Decimal = Decimal(0)
    # Whether the site's line and shipping amounts include their tax.
    prices_include_tax: bool = True
    billing_address: InboundAddress | None = None
    # The site's grand total, when it says one (only compared with ours).
    site_total: Decimal | None = None
    shipping_code: str = ""
    # The site's own order number as its customers see it (#1001), for the timeline.
    site_number: str = ""
    note: str = ""
    updated_at: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def decimal_of(value: object, name: str) -> Decimal:
    """A money amount from a payload (string or number), or a ValidationFailed naming the field."""
    if isinstance(value, bool) or value is None:
        raise ValidationFailed("is not an amount", field=name)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed(f"'{value}' is not an amount", field=name) from None
    if not amount.is_finite():
        raise ValidationFailed(f"'{value}' is not an amount", field=name)
    return amount


def quantity_of(value: object, name: str) -> int:
    """A quantity from a payload: a whole number (10 or "10"), or a ValidationFailed naming the field."""
    if isinstance(value, bool):
        raise ValidationFailed("is not a whole number", field=name)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.lstrip("-").isdigit():
        raise ValidationFailed(f"'{value}' is not a whole number", field=name)
    return int(text)


def check_inbound_order(order: InboundOrder) -> None:
    """Refuses an order that cannot be taken in, naming the field: no id, no lines, a quantity outside
    1..9999, a negative amount, an unknown payment status, no e-mail."""
    if not order.external_id.strip() or len(order.external_id) > 100:
        raise ValidationFailed("the site's order id is missing or longer than 100 characters", field="external_id")
    if order.payment_status not in PAYMENT_STATUSES:
        raise ValidationFailed(f"'{order.payment_status}' is not one of {', '.join(PAYMENT_STATUSES)}",
                               field="payment_status")
    if len(order.currency) != 3:
        raise ValidationFailed(f"'{order.currency}' is not a currency code", field="currency")
    if "@" not in order.customer.email:
        raise ValidationFailed("the customer's e-mail is missing", field="customer.email")
    if not order.lines:
        raise ValidationFailed("the order has no lines", field="lines")
    if len(order.lines) > MAX_LINES:
        raise ValidationFailed(f"at most {MAX_LINES} lines", field="lines")
    for index, line in enumerate(order.lines):
        if not line.sku.strip():
            raise ValidationFailed("the SKU is missing", field=f"lines[{index}].sku")
        if not 0 < line.quantity <= MAX_QUANTITY:
            raise ValidationFailed(f"{line.quantity} is not a quantity between 1 and {MAX_QUANTITY}",
                                   field=f"lines[{index}].quantity")
        if line.line_total < 0:
            raise ValidationFailed("a line's amount cannot be negative", field=f"lines[{index}].line_total")
    if order.shipping_total < 0:
        raise ValidationFailed("the shipping charge cannot be negative", field="shipping_total")


def line_unit_price(line_total: Decimal, quantity: int) -> Decimal:
    """The unit price an order line of ours gets: the site's line total spread over the units (4 places, half
    even); the line total recomputed from it is the site's to the cent whenever the site's was a whole price per
    unit."""
    return (line_total / quantity).quantize(_UNIT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class ChargedLine:
    sku: str
    quantity: int
    unit_price: Decimal
    index: int  # the first of the site's lines it came from (errors name it)


def _as_channel(amount: Decimal, tax: Decimal, site_includes: bool, channel_includes: bool) -> Decimal:
    if site_includes == channel_includes:
        return amount
    return amount + tax if channel_includes else amount - tax


def charged_lines(order: InboundOrder, channel_includes_tax: bool) -> tuple[list[ChargedLine], Decimal]:
    """The order's lines as our order lines (one per SKU, quantities and amounts of repeated SKUs added) and the
    shipping charge, in the channel's tax convention: a site quoting net amounts to a channel whose prices include
    tax gets the site's tax added, and the other way round."""
    merged: dict[str, tuple[int, Decimal, int]] = {}
    for index, line in enumerate(order.lines):
        amount = _as_channel(line.line_total, line.tax, order.prices_include_tax, channel_includes_tax)
        quantity, total, first = merged.get(line.sku, (0, Decimal(0), index))
        merged[line.sku] = (quantity + line.quantity, total + amount, first)
    lines = [ChargedLine(sku, quantity, line_unit_price(total, quantity), first)
             for sku, (quantity, total, first) in merged.items()]
    shipping = _as_channel(order.shipping_total, order.shipping_tax, order.prices_include_tax, channel_includes_tax)
    return lines, shipping.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def site_total_differs(site_total: Decimal | None, our_total: Decimal) -> bool:
    return site_total is not None and abs(site_total - our_total) > _CENT
