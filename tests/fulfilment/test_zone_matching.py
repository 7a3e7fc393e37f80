"""Matching addresses to shipping zones, postcode patterns and rate bands (pure rules)."""

from decimal import Decimal

import pytest

from stockyard.core.errors import ValidationFailed
from stockyard.fulfilment.domain import Address, Band, ZoneRule, check_bands, parse_pattern, parse_patterns, zone_for


def rule(zone_id: int, countries: str, patterns: str = "", region: str = "", position: int = 0) -> ZoneRule:
    return ZoneRule(zone_id, frozenset(countries.split(",")), region, tuple(parse_patterns(patterns.split())),
                    position)


ZONES = [
    rule(1, "DE"),
    rule(2, "DE", "18565 25938-25999", position=-1),  # islands first
    rule(3, "GB", "BT*", position=-1),
    rule(4, "GB,IE"),
    rule(5, "US", region="Alaska"),
]


@pytest.mark.parametrize(("address", "zone"), [
    (Address("DE", "10115"), 1),
    (Address("de", "25980"), 2),
    (Address("DE", "18565"), 2),
    (Address("DE", "26000"), 1),
    (Address("GB", "bt1 1aa"), 3),
    (Address("GB", "SW1A 1AA"), 4),
    (Address("IE", "D02"), 4),
    (Address("US", "99501", "alaska"), 5),
    (Address("US", "10001", "New York"), None),
    (Address("FR", "75001"), None),
])
def test_first_matching_zone_in_order_wins(address: Address, zone: int | None) -> None:
    assert zone_for(address, ZONES) == zone


@pytest.mark.parametrize("text", ["", "AB#1", "5000-4000", "1*-9", "100-10000"])
def test_bad_postcode_patterns_are_refused(text: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        parse_pattern(text)
    assert error.value.field == "postcode_patterns"


def test_overlapping_bands_are_refused_and_touching_ones_accepted() -> None:
    ok = check_bands([Band(Decimal(2000), None, Decimal("9")), Band(Decimal(0), Decimal(2000), Decimal("5"))])
    assert [b.lower for b in ok] == [0, 2000]
    with pytest.raises(ValidationFailed) as error:
        check_bands([Band(Decimal(0), Decimal(2000), Decimal("5")), Band(Decimal(1500), None, Decimal("9"))])
    assert error.value.field == "bands[1].lower" and "overlaps" in error.value.message
    with pytest.raises(ValidationFailed) as error:
        check_bands([Band(Decimal(5), Decimal(5), Decimal("1"))])
    assert error.value.field == "bands[0].upper"
