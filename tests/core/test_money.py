"""Money: a Decimal with a currency, never a float; half-even rounding at line level."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.core.money import Money, round_money, to_decimal

amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=4, allow_nan=False,
                      allow_infinity=False)


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("0.125", "0.12"), ("0.135", "0.14"), ("0.145", "0.14"), ("2.675", "2.68"), ("-0.125", "-0.12"),
     ("1.005", "1.00"), ("1.0051", "1.01"), ("7", "7.00")],
)
def test_rounding_is_half_even_to_the_cent(amount: str, rounded: str) -> None:
    result = round_money(Decimal(amount))
    assert result == Decimal(rounded)
    assert str(result) == rounded


def test_floats_are_refused_and_other_values_become_exact_decimals() -> None:
    with pytest.raises(TypeError):
        to_decimal(0.1)
    assert to_decimal("0.10") == Decimal("0.10")
    assert to_decimal(3) == Decimal(3)
    assert to_decimal(Decimal("1.2345")) == Decimal("1.2345")
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["EU", "EURO", ""])
def test_a_currency_is_a_three_letter_code(currency: str) -> None:
    with pytest.raises(ValueError):
        Money(Decimal("1"), currency)


def test_adding_and_subtracting_keep_the_currency() -> None:
    total = Money(Decimal("10.10"), "EUR") + Money(Decimal("0.25"), "EUR")
    assert total == Money(Decimal("10.35"), "EUR")
    assert total - Money(Decimal("0.35"), "EUR") == Money(Decimal("10.00"), "EUR")


def test_different_currencies_do_not_mix() -> None:
    with pytest.raises(ValueError):
        Money(Decimal("1"), "EUR") + Money(Decimal("1"), "USD")
    with pytest.raises(ValueError):
        Money(Decimal("1"), "EUR") - Money(Decimal("1"), "GBP")


def test_a_line_total_is_rounded_once_half_even() -> None:
    assert Money(Decimal("0.335"), "EUR").times(3) == Money(Decimal("1.00"), "EUR")  # 1.005 -> 1.00
    assert Money(Decimal("0.345"), "EUR").times(3) == Money(Decimal("1.04"), "EUR")  # 1.035 -> 1.04
    assert Money(Decimal("19.99"), "EUR").times(0) == Money(Decimal("0.00"), "EUR")


def test_money_reads_as_amount_and_currency() -> None:
    assert str(Money(Decimal("12.5"), "EUR")) == "12.50 EUR"
    assert str(Money(Decimal("0.125"), "USD")) == "0.12 USD"
    assert Money(Decimal("2.675"), "EUR").rounded() == Money(Decimal("2.68"), "EUR")


@given(amounts)
def test_rounding_twice_changes_nothing_and_stays_within_half_a_cent(amount: Decimal) -> None:
    once = round_money(amount)
    assert round_money(once) == once
    assert abs(once - amount) <= Decimal("0.005")
    assert once.as_tuple().exponent == -2


@given(amounts, amounts, amounts)
def test_addition_is_exact_commutative_and_associative(a: Decimal, b: Decimal, c: Decimal) -> None:
    x, y, z = Money(a, "EUR"), Money(b, "EUR"), Money(c, "EUR")
    assert x + y == y + x
    assert (x + y) + z == x + (y + z)
    assert (x + y - y).amount == a


@given(amounts, st.integers(min_value=0, max_value=10_000))
def test_a_line_total_is_the_exact_product_rounded_once(price: Decimal, quantity: int) -> None:
    assert Money(price, "EUR").times(quantity).amount == round_money(price * quantity)
