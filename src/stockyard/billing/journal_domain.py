"""Double-entry journal entries from business facts, without I/O.

Each function turns one fact (an invoice issued, a payment captured, goods shipped, ...) into a balanced entry:
lines of (account, debit, credit), amounts rounded half-even to cents, lines of zero left out. `check_balanced`
refuses any entry whose debits and credits differ; the service checks again just before it writes.

Postings (default chart of accounts below):
- invoice issued:     Dr receivables (total)      Cr revenue, shipping income (both net of tax), tax payable
- payment captured:   Dr clearing                 Cr receivables
- payment refunded:   Dr receivables              Cr clearing        (the money going back)
- return credited:    Dr revenue, shipping income, tax payable   Cr receivables   (what the refund was for)
- goods shipped:      Dr COGS                     Cr inventory       (at the ledger's unit cost)
- return received:    Dr inventory                Cr COGS            (the units back on the shelf)
A refund for returned goods thus posts both a return credit and a payment refund, which together reverse the sale
and the cash; a refund without a return (a cancelled paid order) leaves receivables credited until invoiced.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

BANK_CLEARING = "1000"
BANK = "1010"
RECEIVABLES = "1100"
INVENTORY = "1200"
GOODS_RECEIVED_NOT_INVOICED = "2100"
TAX_PAYABLE = "2200"
ACCRUED_LANDED_COSTS = "2300"
REVENUE = "4000"
SHIPPING_INCOME = "4100"
COGS = "5000"
WRITE_OFFS = "5100"
INVENTORY_ADJUSTMENTS = "5200"
PAYMENT_FEES = "6100"

ACCOUNT_NAMES: Mapping[str, str] = {
    BANK_CLEARING: "Bank / payment gateway clearing",
    BANK: "Bank",
    RECEIVABLES: "Accounts receivable",
    INVENTORY: "Inventory",
    GOODS_RECEIVED_NOT_INVOICED: "Goods received not invoiced",
    TAX_PAYABLE: "Sales tax payable",
    ACCRUED_LANDED_COSTS: "Accrued freight and duty",
    REVENUE: "Sales revenue",
    SHIPPING_INCOME: "Shipping income",
    COGS: "Cost of goods sold",
    WRITE_OFFS: "Inventory write-offs",
    INVENTORY_ADJUSTMENTS: "Inventory count adjustments",
    PAYMENT_FEES: "Payment processing fees",
}

CENT = Decimal("0.01")
ZERO = Decimal(0)


class UnbalancedEntry(ValueError):
    """Debits and credits of an entry differ (or an amount is negative): nothing may be posted."""


@dataclass(frozen=True)
class Line:
    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO


@dataclass(frozen=True)
class Draft:
    kind: str
    currency: str
    lines: tuple[Line, ...]
    reference: str = ""
    memo: str = ""

    @property
    def total(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def check_balanced(lines: tuple[Line, ...] | list[Line]) -> None:
    if not lines:
        raise UnbalancedEntry("an entry needs lines")
    for line in lines:
        if line.debit < 0 or line.credit < 0:
            raise UnbalancedEntry(f"account {line.account}: amounts must not be negative")
        if (line.debit > 0) == (line.credit > 0):
            raise UnbalancedEntry(f"account {line.account}: a line is either a debit or a credit")
        if line.debit != cents(line.debit) or line.credit != cents(line.credit):
            raise UnbalancedEntry(f"account {line.account}: amounts are in cents")
    debits = sum((line.debit for line in lines), ZERO)
    credits = sum((line.credit for line in lines), ZERO)
    if debits != credits:
        raise UnbalancedEntry(f"debits {debits} and credits {credits} differ")


def _entry(kind: str, currency: str, debits: list[tuple[str, Decimal]], credits: list[tuple[str, Decimal]],
           reference: str = "", memo: str = "") -> Draft | None:
    """The entry with amounts in cents and zero lines dropped; None when nothing is left to post."""
    lines = [Line(account, debit=cents(amount)) for account, amount in debits if cents(amount) != 0]
    lines += [Line(account, credit=cents(amount)) for account, amount in credits if cents(amount) != 0]
    if not lines:
        return None
    check_balanced(lines)
    return Draft(kind, currency, tuple(lines), reference, memo)


def _non_negative(**amounts: Decimal) -> None:
    for name, amount in amounts.items():
        if not amount.is_finite() or amount < 0:
            raise UnbalancedEntry(f"{name} must be a non-negative amount, not {amount}")


def tax_share(tax: Decimal, gross: Decimal) -> Decimal:
    """The part of a gross amount that is tax (0..1), from an invoice's or order's tax and gross total."""
    _non_negative(tax=tax, gross=gross)
    if tax > gross:
        raise UnbalancedEntry(f"the tax {tax} exceeds the total {gross}")
    return tax / gross if gross > 0 else ZERO


def split_gross(amount: Decimal, shipping: Decimal, share: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """A gross amount's (revenue, shipping income, tax) parts. `shipping` is the gross shipping charge within it
    (at most the amount); `share` the tax part of the gross (tax_share). Shipping is taxed like the goods, so the
    tax comes off both. The parts add up to the amount exactly and none is negative."""
    _non_negative(amount=amount, shipping=shipping, share=share)
    if share > 1:
        raise UnbalancedEntry("the tax share is at most 1")
    amount = cents(amount)
    shipping = min(cents(shipping), amount)
    tax = cents(amount * share)
    shipping_net = shipping - cents(shipping * share)
    revenue = amount - tax - shipping_net
    if revenue < 0:  # a cent of rounding when the goods are worth (almost) nothing
        tax, revenue = tax + revenue, ZERO
    return revenue, shipping_net, tax


def invoice_entry(currency: str, grand_total: Decimal, shipping: Decimal, tax: Decimal, *, reference: str = "",
                  memo: str = "") -> Draft | None:
    """Receivables for the invoice total; revenue, shipping income (net of its tax) and the invoice's tax exactly."""
    _non_negative(grand_total=grand_total, shipping=shipping, tax=tax)
    total, shipping, tax = cents(grand_total), cents(shipping), cents(tax)
    if shipping > total:
        raise UnbalancedEntry(f"shipping {shipping} exceeds the invoice total {total}")
    shipping_net = shipping - cents(shipping * tax_share(tax, total))
    revenue = total - shipping_net - tax  # the invoice's own tax figure, not a recomputed one
    if revenue < 0:
        shipping_net, revenue = shipping_net + revenue, ZERO
    return _entry("invoice", currency, [(RECEIVABLES, total)],
                  [(REVENUE, revenue), (SHIPPING_INCOME, shipping_net), (TAX_PAYABLE, tax)], reference, memo)


def payment_captured_entry(currency: str, amount: Decimal, *, reference: str = "", memo: str = "") -> Draft | None:
    _non_negative(amount=amount)
    return _entry("payment", currency, [(BANK_CLEARING, amount)], [(RECEIVABLES, amount)], reference, memo)


def payment_refunded_entry(currency: str, amount: Decimal, *, reference: str = "", memo: str = "") -> Draft | None:
    _non_negative(amount=amount)
    return _entry("refund", currency, [(RECEIVABLES, amount)], [(BANK_CLEARING, amount)], reference, memo)


def return_credit_entry(currency: str, amount: Decimal, shipping: Decimal, share: Decimal, *,
                        reference: str = "", memo: str = "") -> Draft | None:
    """What a refund was for: `amount` gross, of which `shipping` (gross) refunded shipping; `share` is the order's
    tax share of its total."""
    revenue, shipping_part, tax = split_gross(amount, shipping, share)
    return _entry("return_credit", currency, [(REVENUE, revenue), (SHIPPING_INCOME, shipping_part),
                                              (TAX_PAYABLE, tax)], [(RECEIVABLES, cents(amount))], reference, memo)


def goods_cost(units: list[tuple[int, Decimal | None]]) -> tuple[Decimal, int]:
    """The cost of moved units [(quantity, unit cost or None when unknown)]: (total cost in cents, units without a
    cost)."""
    total, uncosted = ZERO, 0
    for quantity, unit_cost in units:
        if unit_cost is None:
            uncosted += quantity
        else:
            total += unit_cost * quantity
    return cents(total), uncosted


def cogs_entry(currency: str, cost: Decimal, *, reference: str = "", memo: str = "") -> Draft | None:
    _non_negative(cost=cost)
    return _entry("cogs", currency, [(COGS, cost)], [(INVENTORY, cost)], reference, memo)


def return_receipt_entry(currency: str, cost: Decimal, *, reference: str = "", memo: str = "") -> Draft | None:
    _non_negative(cost=cost)
    return _entry("return_receipt", currency, [(INVENTORY, cost)], [(COGS, cost)], reference, memo)


# ---- stock flows (at the cost of the moved units) -----------------------------------------------------------------
# - goods received:      Dr inventory                Cr goods received not invoiced
# - goods written off:   Dr write-offs               Cr inventory
# - count gain:          Dr inventory                Cr inventory count adjustments
# - count loss:          Dr inventory count adjustments   Cr inventory

def receipt_entry(currency: str, cost: Decimal, *, reference: str = "", memo: str = "") -> Draft | None:
    _non_negative(cost=cost)
    return _entry("receipt", currency, [(INVENTORY, cost)], [(GOODS_RECEIVED_NOT_INVOICED, cost)], reference, memo)


def write_off_entry(currency: str, cost: Decimal, *, reference: str = "", memo: str = "") -> Draft | None:
    _non_negative(cost=cost)
    return _entry("write_off", currency, [(WRITE_OFFS, cost)], [(INVENTORY, cost)], reference, memo)


def count_gain_entry(currency: str, cost: Decimal, *, reference: str = "", memo: str = "") -> Draft | None:
    _non_negative(cost=cost)
    return _entry("count_gain", currency, [(INVENTORY, cost)], [(INVENTORY_ADJUSTMENTS, cost)], reference, memo)


def count_loss_entry(currency: str, cost: Decimal, *, reference: str = "", memo: str = "") -> Draft | None:
    _non_negative(cost=cost)
    return _entry("count_loss", currency, [(INVENTORY_ADJUSTMENTS, cost)], [(INVENTORY, cost)], reference, memo)
