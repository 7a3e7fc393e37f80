"""Tax rules worked by hand (billing/tax_domain.py): the most specific rate wins, per-line tax rounded half-even,
shipping taxed in proportion to the goods at each rate, with prices that include tax and prices that do not."""

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from stockyard.billing.tax_domain import (
    LineRate,
    RateRow,
    TaxLine,
    fallback_rate,
    pick_rate,
    split_shipping,
    summed,
    tax_breakdown,
)
from stockyard.sales.domain import PricedLine, order_totals

D = Decimal
STANDARD = LineRate(D("0.19"), "DE VAT standard 19%")
REDUCED = LineRate(D("0.07"), "DE VAT reduced 7%")
FALLBACK = fallback_rate(D("0.20"))
ON = date(2026, 12, 4)
RATES = [
    RateRow("DE", "", "standard", "DE VAT 16%", D("0.16"), date(2020, 7, 1)),
    RateRow("DE", "", "standard", "DE VAT standard 19%", D("0.19"), date(2021, 1, 1)),
    RateRow("DE", "", "standard", "DE VAT 25% (not yet)", D("0.25"), date(2027, 1, 1)),
    RateRow("DE", "", "reduced", "DE VAT reduced 7%", D("0.07"), date(2000, 1, 1)),
    RateRow("DE", "HELGOLAND", "standard", "DE Heligoland 0%", D("0"), date(2000, 1, 1)),
    RateRow("US", "CA", "standard", "US-CA sales tax 7.25%", D("0.0725"), date(2000, 1, 1)),
]


def test_the_most_specific_rate_valid_on_the_day_wins() -> None:
    assert pick_rate(RATES, "de", "", "standard", ON).name == "DE VAT standard 19%"  # the 25 % starts later
    assert pick_rate(RATES, "DE", "", "standard", date(2020, 9, 1)).name == "DE VAT 16%"
    assert pick_rate(RATES, "DE", " helgoland ", "standard", ON).name == "DE Heligoland 0%"  # region beats country
    assert pick_rate(RATES, "DE", "Helgoland", "reduced", ON).name == "DE VAT reduced 7%"  # no regional reduced
    assert pick_rate(RATES, "US", "CA", "standard", ON).rate == D("0.0725")
    assert pick_rate(RATES, "US", "NY", "standard", ON) is None  # no rate: the channel's applies
    assert pick_rate(RATES, "AT", "", "standard", ON) is None
    assert LineRate(D("0.20"), "Tax 20%") == FALLBACK


def test_mixed_classes_with_prices_including_tax() -> None:
    """2 × 10.00 at 19 % and 25.00 at 7 %, 4.90 shipping: the shipping is split 20 : 25 → 2.18 and 2.72."""
    lines = [PricedLine(1, 2, D("10.00"), STANDARD), PricedLine(2, 1, D("25.00"), REDUCED)]
    assert split_shipping(D("4.90"), [(STANDARD, D("20.00")), (REDUCED, D("25.00"))]) == [
        (STANDARD, D("2.18")), (REDUCED, D("2.72"))]
    totals = order_totals(lines, D("4.90"), D("0.20"), prices_include_tax=True)
    # 19 %: 3.19 on the goods (20 − 20/1.19 = 3.1933) + 0.35 on 2.18 shipping; base 16.81 + 1.83
    # 7 %: 1.64 on the goods (25 − 25/1.07 = 1.6355) + 0.18 on 2.72 shipping; base 23.36 + 2.54
    assert totals.tax_lines == (TaxLine("DE VAT standard 19%", D("0.19"), D("18.64"), D("3.54")),
                                TaxLine("DE VAT reduced 7%", D("0.07"), D("25.90"), D("1.82")))
    assert (totals.subtotal, totals.shipping, totals.tax, totals.grand_total) == (
        D("45.00"), D("4.90"), D("5.36"), D("49.90"))


def test_mixed_classes_with_prices_excluding_tax() -> None:
    lines = [PricedLine(1, 2, D("10.00"), STANDARD), PricedLine(2, 1, D("25.00"), REDUCED)]
    totals = order_totals(lines, D("4.90"), D("0.20"), prices_include_tax=False)
    # 19 %: 3.80 + 0.41 (2.18 × 0.19 = 0.4142); 7 %: 1.75 + 0.19 (2.72 × 0.07 = 0.1904)
    assert totals.tax_lines == (TaxLine("DE VAT standard 19%", D("0.19"), D("22.18"), D("4.21")),
                                TaxLine("DE VAT reduced 7%", D("0.07"), D("27.72"), D("1.94")))
    assert (totals.tax, totals.grand_total) == (D("6.15"), D("56.05"))


def test_lines_without_a_rate_of_their_own_take_the_channels_and_so_does_shipping_without_goods_value() -> None:
    totals = order_totals([PricedLine(1, 2, D("10.00"))], D("4.90"), D("0.20"), prices_include_tax=True)
    # 20 − 20/1.2 = 3.3333 → 3.33; 4.90 − 4.90/1.2 = 0.8167 → 0.82
    assert totals.tax_lines == (TaxLine("Tax 20%", D("0.20"), D("20.75"), D("4.15")),)
    free = tax_breakdown([(REDUCED, D("0.00"))], D("5.00"), False, FALLBACK)
    assert free == [TaxLine("Tax 20%", D("0.20"), D("5.00"), D("1.00")), TaxLine(REDUCED.name, D("0.07"), D("0.00"),
                                                                                  D("0.00"))]


def test_rounding_is_half_even_per_line() -> None:
    # 0.125 of tax on each of two lines: half-even gives 0.12 each (0.24), not 0.25 on the sum
    rate = LineRate(D("0.05"), "5%")
    lines = [PricedLine(1, 1, D("2.50"), rate), PricedLine(2, 1, D("2.50"), rate)]
    assert order_totals(lines, D(0), D(0), prices_include_tax=False).tax == D("0.24")


amounts = st.decimals(min_value=D("0.00"), max_value=D("9999.99"), places=2)
rates = st.sampled_from([STANDARD, REDUCED, LineRate(D(0), "zero 0%"), LineRate(D("0.0725"), "US-CA 7.25%")])


@given(st.lists(st.tuples(rates, amounts), min_size=1, max_size=6), amounts, st.booleans())
def test_the_breakdown_adds_up(goods: list[tuple[LineRate, Decimal]], shipping: Decimal, inclusive: bool) -> None:
    lines = tax_breakdown(goods, shipping, inclusive, FALLBACK)
    charged = sum((amount for _, amount in goods), D(0)) + shipping
    parts = split_shipping(shipping, goods)
    assert not parts or sum((p for _, p in parts), D(0)) == shipping
    assert all(t.tax >= 0 and t.base >= 0 for t in lines)
    if inclusive:
        assert sum((t.base + t.tax for t in lines), D(0)) == charged
    else:
        assert sum((t.base for t in lines), D(0)) == charged
    assert summed(lines) == sum((t.tax for t in lines), D(0))
