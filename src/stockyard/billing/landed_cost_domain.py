"""Landed costs without I/O: the basis each receipt line is weighed by, and the journal entry of an applied cost.

A landed cost is spread over the receipt lines it covers by value (quantity × unit cost), quantity or weight
(quantity × the SKU's weight); the shares add up to the amount exactly (largest remainder, valuation_domain.allocate).
Weight needs every SKU's weight: a SKU without one is refused, never weighed as nothing.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from stockyard.billing import journal_domain as jd
from stockyard.billing.valuation_domain import allocate, cents
from stockyard.core.errors import ValidationFailed


class Kind(StrEnum):
    FREIGHT = "freight"
    DUTY = "duty"
    OTHER = "other"


class Basis(StrEnum):
    VALUE = "value"
    QUANTITY = "quantity"
    WEIGHT = "weight"


@dataclass(frozen=True)
class ReceiptLine:
    move_id: int
    sku_code: str
    quantity: int
    unit_cost: Decimal | None
    weight_g: int


def basis_amounts(lines: list[ReceiptLine], basis: Basis) -> list[Decimal]:
    if not lines:
        raise ValidationFailed("choose at least one receipt to carry the cost", field="receipts")
    if basis == Basis.QUANTITY:
        return [Decimal(line.quantity) for line in lines]
    if basis == Basis.WEIGHT:
        missing = sorted({line.sku_code for line in lines if line.weight_g <= 0})
        if missing:
            raise ValidationFailed(f"cannot allocate by weight: no weight recorded for {', '.join(missing)}; "
                                   "enter it on the SKU or allocate by value or quantity", field="basis")
        return [Decimal(line.quantity * line.weight_g) for line in lines]
    values = [line.quantity * (line.unit_cost or Decimal(0)) for line in lines]
    if sum(values, Decimal(0)) <= 0:
        raise ValidationFailed("the receipts carry no cost to allocate by value; allocate by quantity or weight",
                               field="basis")
    return values


def split(amount: Decimal, lines: list[ReceiptLine], basis: Basis) -> list[Decimal]:
    """Each line's share of `amount`, in cents, adding up to it exactly."""
    if not amount.is_finite() or amount <= 0 or amount != cents(amount):
        raise ValidationFailed("must be an amount greater than zero, in cents", field="amount")
    return allocate(amount, basis_amounts(lines, basis))


def landed_cost_entry(currency: str, inventory: Decimal, cogs: Decimal, *, reference: str = "",
                      memo: str = "") -> jd.Draft:
    """Dr inventory (the part on hand) and COGS (the part already sold) / Cr accrued freight and duty."""
    lines = [jd.Line(account, debit=amount) for account, amount in ((jd.INVENTORY, inventory), (jd.COGS, cogs))
             if amount > 0]
    lines.append(jd.Line(jd.ACCRUED_LANDED_COSTS, credit=inventory + cogs))
    jd.check_balanced(lines)
    return jd.Draft("landed_cost", currency, tuple(lines), reference, memo)
