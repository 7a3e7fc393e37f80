"""Pure tax rules: which rate applies to a line, and the per-rate breakdown of an order's tax.

Which rate applies
  A tenant keeps a table of rates keyed by destination country, an optional region (state / province code) and a
  product tax class (standard, reduced, zero, exempt, ... each product has one; "standard" by default). For a line
  shipped to (country, region) the most specific rate for its class wins: country + region beats country alone;
  among equally specific rates the one with the latest `valid_from` on or before the day of the sale wins. When no
  rate matches (the tenant has not set one up for that destination and class), the channel's own `tax_rate` stays
  the fallback, named "Tax NN%". A class that must carry no tax therefore needs a 0 % rate for the countries sold
  to, as in any VAT table.

How tax is computed
  - Per line, with the line's own rate, rounded half-even to the cent (ARCHITECTURE §6). With prices that include
    tax the line's tax is the included share (amount − amount / (1 + rate)); otherwise it is added (amount × rate).
  - Shipping follows the goods (EU VAT practice for ancillary costs): it is split over the rates in proportion to
    the value of the goods at each rate, each part rounded half-even (the last part takes the remainder so the parts
    add up to the shipping charged) and taxed at that rate. With no goods value to split by, shipping is taxed at
    the fallback rate.
  - The breakdown has one line per rate (name, rate, taxable base without tax, tax); the order's tax is its sum.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from stockyard.core.money import round_money

DEFAULT_TAX_CLASS = "standard"


@dataclass(frozen=True)
class LineRate:
    """The rate a line is taxed at and the name it carries on documents ("DE VAT standard 19%")."""

    rate: Decimal
    name: str


@dataclass(frozen=True)
class RateRow:
    country: str
    region: str  # "" = the whole country
    tax_class: str
    name: str
    rate: Decimal
    valid_from: date


@dataclass(frozen=True)
class TaxLine:
    name: str
    rate: Decimal
    base: Decimal  # the taxable amount without tax
    tax: Decimal

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "rate": str(self.rate), "base": str(self.base), "tax": str(self.tax)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TaxLine":
        return cls(str(data["name"]), Decimal(str(data["rate"])), Decimal(str(data["base"])), Decimal(str(data["tax"])))


def percent(rate: Decimal) -> str:
    """0.19 → "19", 0.075 → "7.5"."""
    text = f"{rate * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fallback_rate(channel_rate: Decimal) -> LineRate:
    return LineRate(Decimal(channel_rate), f"Tax {percent(Decimal(channel_rate))}%")


def normal_region(region: str | None) -> str:
    return (region or "").strip().upper()


def pick_rate(rates: Sequence[RateRow], country: str, region: str | None, tax_class: str,
              on: date) -> RateRow | None:
    """The most specific rate for the class at (country, region) valid on `on`; None when none matches."""
    country, region = country.strip().upper(), normal_region(region)
    fits = [r for r in rates if r.country == country and r.tax_class == tax_class and r.valid_from <= on
            and r.region in ("", region)]
    if not fits:
        return None
    return max(fits, key=lambda r: (r.region != "", r.valid_from))


def line_tax(amount: Decimal, rate: Decimal, prices_include_tax: bool) -> Decimal:
    if not rate:
        return Decimal("0.00")
    if prices_include_tax:
        return round_money(amount - amount / (1 + rate))
    return round_money(amount * rate)


def split_shipping(shipping: Decimal, goods: Sequence[tuple[LineRate, Decimal]]) -> list[tuple[LineRate, Decimal]]:
    """Shipping split over the rates in proportion to the goods' value at each rate (in first-seen order); the last
    part takes the rounding remainder. Empty when there is no goods value to split by."""
    by_rate: dict[LineRate, Decimal] = {}
    for rate, amount in goods:
        by_rate[rate] = by_rate.get(rate, Decimal(0)) + amount
    value = sum(by_rate.values(), Decimal(0))
    if value <= 0 or not shipping:
        return []
    parts: list[tuple[LineRate, Decimal]] = []
    left = shipping
    items = [(r, v) for r, v in by_rate.items() if v > 0]
    for i, (rate, amount) in enumerate(items):
        part = left if i == len(items) - 1 else round_money(shipping * amount / value)
        parts.append((rate, part))
        left -= part
    return parts


def tax_breakdown(goods: Sequence[tuple[LineRate, Decimal]], shipping: Decimal, prices_include_tax: bool,
                  fallback: LineRate) -> list[TaxLine]:
    """The per-rate tax lines of goods (each line's rate and its amount) and shipping (see the module doc)."""
    sums: dict[LineRate, tuple[Decimal, Decimal]] = {}

    def add(rate: LineRate, amount: Decimal) -> None:
        tax = line_tax(amount, rate.rate, prices_include_tax)
        base, taxed = sums.get(rate, (Decimal(0), Decimal(0)))
        sums[rate] = (base + (amount - tax if prices_include_tax else amount), taxed + tax)

    for rate, amount in goods:
        add(rate, amount)
    parts = split_shipping(shipping, goods)
    if not parts and shipping:
        parts = [(fallback, shipping)]
    for rate, amount in parts:
        add(rate, amount)
    lines = [TaxLine(rate.name, rate.rate, round_money(base), round_money(tax)) for rate, (base, tax) in sums.items()]
    return sorted(lines, key=lambda t: (-t.rate, t.name))


def summed(lines: Sequence[TaxLine]) -> Decimal:
    return round_money(sum((t.tax for t in lines), Decimal(0)))
