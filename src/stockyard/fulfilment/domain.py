"""Pure shipping-configuration rules: postcode patterns, matching an address to a zone, rate bands.

Postcode patterns (case and spaces ignored):
- an exact postcode: "SW1A1AA";
- wildcards: "*" any run of characters, "?" exactly one ("SW1*", "8??00");
- a range "10000-14999": both ends the same length and of the same shape (digits/letters), inclusive; a postcode
  of the same length matches when it sorts between them.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from stockyard.core.errors import ValidationFailed

_WILDCARD = re.compile(r"^[A-Z0-9*?]+$")
_PLAIN = re.compile(r"^[A-Z0-9]+$")


def normalise_postcode(value: str) -> str:
    return re.sub(r"[\s-]+", "", value).upper()


@dataclass(frozen=True)
class PostcodePattern:
    text: str
    regex: re.Pattern[str] | None = None
    low: str = ""
    high: str = ""

    def matches(self, postcode: str) -> bool:
        code = normalise_postcode(postcode)
        if self.regex is not None:
            return self.regex.fullmatch(code) is not None
        return len(code) == len(self.low) and self.low <= code <= self.high


def parse_pattern(text: str, field: str = "postcode_patterns") -> PostcodePattern:
    raw = text.strip().upper()
    if raw.count("-") == 1:
        low, high = (normalise_postcode(part) for part in raw.split("-"))
        if not (_PLAIN.match(low) and _PLAIN.match(high)):
            raise ValidationFailed(f"'{text}': a range joins two postcodes without wildcards", field=field)
        if len(low) != len(high) or low.isdigit() != high.isdigit():
            raise ValidationFailed(f"'{text}': both ends of a range must have the same length and shape", field=field)
        if low > high:
            raise ValidationFailed(f"'{text}': the range starts after it ends", field=field)
        return PostcodePattern(f"{low}-{high}", low=low, high=high)
    code = normalise_postcode(raw)
    if not code or not _WILDCARD.match(code):
        raise ValidationFailed(f"'{text}' is not a postcode pattern (letters, digits, * and ?, or a range A-B)",
                               field=field)
    regex = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in code))
    return PostcodePattern(code, regex=regex)


def parse_patterns(lines: Iterable[str], field: str = "postcode_patterns") -> list[PostcodePattern]:
    return [parse_pattern(line, field) for line in lines if line.strip()]


@dataclass(frozen=True)
class Address:
    country: str
    postcode: str = ""
    region: str = ""


@dataclass(frozen=True)
class ZoneRule:
    zone_id: int
    countries: frozenset[str]
    region: str = ""
    patterns: tuple[PostcodePattern, ...] = ()
    position: int = 0

    def matches(self, address: Address) -> bool:
        if address.country.strip().upper() not in self.countries:
            return False
        if self.region and self.region.strip().lower() != address.region.strip().lower():
            return False
        return not self.patterns or any(p.matches(address.postcode) for p in self.patterns)


def zone_for(address: Address, zones: Sequence[ZoneRule]) -> int | None:
    """The first matching zone in (position, id) order; more specific zones are meant to come first."""
    for zone in sorted(zones, key=lambda z: (z.position, z.zone_id)):
        if zone.matches(address):
            return zone.zone_id
    return None


@dataclass(frozen=True)
class Band:
    """[lower, upper): from `lower` up to but excluding `upper`; no upper means open-ended."""

    lower: Decimal
    upper: Decimal | None
    price: Decimal

    def contains(self, value: Decimal) -> bool:
        return self.lower <= value and (self.upper is None or value < self.upper)


def check_bands(bands: Sequence[Band], field: str = "bands", whole: bool = False) -> list[Band]:
    """Bands sorted by lower bound; none may overlap another; bounds and prices are non-negative.
    `whole` (weights in grams) requires whole-number bounds."""
    for index, band in enumerate(bands):
        where = f"{field}[{index}]"
        if band.lower < 0:
            raise ValidationFailed("must not be negative", field=f"{where}.lower")
        if band.upper is not None and band.upper <= band.lower:
            raise ValidationFailed("must be above the lower bound", field=f"{where}.upper")
        if whole and (band.lower != band.lower.to_integral_value()
                      or (band.upper is not None and band.upper != band.upper.to_integral_value())):
            raise ValidationFailed("weights are whole grams", field=f"{where}.lower")
        if band.price < 0:
            raise ValidationFailed("must not be negative", field=f"{where}.price")
    ordered = sorted(enumerate(bands), key=lambda pair: pair[1].lower)
    for (_, previous), (index, band) in zip(ordered, ordered[1:], strict=False):
        if previous.upper is None or band.lower < previous.upper:
            end = "open end" if previous.upper is None else previous.upper
            raise ValidationFailed(f"overlaps the band {previous.lower}–{end}", field=f"{field}[{index}].lower")
    return [band for _, band in ordered]


def band_for(bands: Iterable[Band], value: Decimal) -> Band | None:
    for band in bands:
        if band.contains(value):
            return band
    return None
