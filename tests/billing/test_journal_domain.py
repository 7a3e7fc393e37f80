"""Journal entries from business facts: every entry balances (random amounts), amounts are in cents, and the
accounts are the default chart's."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.billing import journal_domain as jd
from stockyard.billing.journal_domain import Line, UnbalancedEntry, check_balanced

amounts = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
shares = st.decimals(min_value=0, max_value=1, places=6, allow_nan=False, allow_infinity=False)


def sums(draft: jd.Draft | None) -> tuple[Decimal, Decimal]:
    assert draft is not None
    return (sum((line.debit for line in draft.lines), Decimal(0)),
            sum((line.credit for line in draft.lines), Decimal(0)))


@given(total=amounts, shipping=amounts, tax=amounts)
def test_invoice_entries_balance(total: Decimal, shipping: Decimal, tax: Decimal) -> None:
    if jd.cents(shipping) > jd.cents(total) or jd.cents(tax) > jd.cents(total):
        with pytest.raises(UnbalancedEntry):
            jd.invoice_entry("EUR", total, shipping, tax)
        return
    draft = jd.invoice_entry("EUR", total, shipping, tax)
    if jd.cents(total) == 0:
        assert draft is None
        return
    debit, credit = sums(draft)
    assert debit == credit == jd.cents(total)
    assert draft is not None and all(line.debit == jd.cents(line.debit) for line in draft.lines)


@given(amount=amounts, shipping=amounts, share=shares)
def test_return_credits_balance_and_split_the_amount_exactly(amount: Decimal, shipping: Decimal,
                                                            share: Decimal) -> None:
    revenue, shipping_part, tax = jd.split_gross(amount, shipping, share)
    assert revenue + shipping_part + tax == jd.cents(amount)
    assert min(revenue, shipping_part, tax) >= 0
    draft = jd.return_credit_entry("EUR", amount, shipping, share)
    if jd.cents(amount) == 0:
        assert draft is None
    else:
        debit, credit = sums(draft)
        assert debit == credit == jd.cents(amount)


@given(amount=amounts)
def test_payments_refunds_cogs_and_receipts_balance(amount: Decimal) -> None:
    for make in (jd.payment_captured_entry, jd.payment_refunded_entry, jd.cogs_entry, jd.return_receipt_entry):
        draft = make("EUR", amount)
        if jd.cents(amount) == 0:
            assert draft is None
        else:
            debit, credit = sums(draft)
            assert debit == credit == jd.cents(amount)


def test_an_invoice_posts_receivables_against_revenue_shipping_and_tax() -> None:
    """49.90 gross with 19 % tax included (7.97), of which 4.90 shipping (0.78 of the tax)."""
    draft = jd.invoice_entry("EUR", Decimal("49.90"), Decimal("4.90"), Decimal("7.97"), reference="INV-1")
    assert draft is not None and draft.kind == "invoice" and draft.reference == "INV-1"
    assert draft.lines == (Line("1100", debit=Decimal("49.90")), Line("4000", credit=Decimal("37.81")),
                           Line("4100", credit=Decimal("4.12")), Line("2200", credit=Decimal("7.97")))


def test_zero_parts_are_left_out() -> None:
    draft = jd.invoice_entry("EUR", Decimal("10"), Decimal(0), Decimal(0))
    assert draft is not None and [line.account for line in draft.lines] == ["1100", "4000"]


def test_cogs_and_return_receipts_move_between_inventory_and_cost_of_goods() -> None:
    cost, uncosted = jd.goods_cost([(2, Decimal("4.0000")), (1, None), (3, Decimal("1.005"))])
    assert (cost, uncosted) == (Decimal("11.02"), 1)
    assert jd.cogs_entry("EUR", cost).lines == (Line("5000", debit=cost), Line("1200", credit=cost))  # type: ignore
    assert jd.return_receipt_entry("EUR", cost).lines == (  # type: ignore[union-attr]
        Line("1200", debit=cost), Line("5000", credit=cost))


@pytest.mark.parametrize("lines", [
    [], [Line("1000", debit=Decimal(1)), Line("1100", credit=Decimal("0.99"))],
    [Line("1000", debit=Decimal(1), credit=Decimal(1))], [Line("1000", debit=Decimal(-1)), Line("1100")],
    [Line("1000", debit=Decimal("1.001")), Line("1100", credit=Decimal("1.001"))]])
def test_unbalanced_or_malformed_entries_are_refused(lines: list[Line]) -> None:
    with pytest.raises(UnbalancedEntry):
        check_balanced(lines)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(UnbalancedEntry):
        jd.payment_captured_entry("EUR", Decimal("-1"))
    with pytest.raises(UnbalancedEntry):
        jd.split_gross(Decimal(1), Decimal(0), Decimal("1.5"))
    with pytest.raises(UnbalancedEntry):
        jd.invoice_entry("EUR", Decimal(10), Decimal(0), Decimal(11))
