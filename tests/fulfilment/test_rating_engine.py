"""The rate engine on worked examples: zone, chargeable weight, bands, surcharges, free shipping, dates."""

from datetime import date
from decimal import Decimal

from stockyard.fulfilment.domain import Address, Band, ZoneRule, parse_patterns
from stockyard.fulfilment.rating import (
    MethodRule,
    NotOffered,
    Origin,
    Parcel,
    RatedOption,
    Zone,
    add_working_days,
    dimensional_weight,
    rate,
    rate_method,
)

D = Decimal
GERMANY = Zone(ZoneRule(1, frozenset({"DE"})), "Germany")
ISLANDS = Zone(ZoneRule(2, frozenset({"DE"}), patterns=tuple(parse_patterns(["18565", "25938-25999"])), position=-1),
               "German islands")
ZONES = [GERMANY, ISLANDS]
ORIGIN = Origin(7, "Main", handling_days=1)
MONDAY = date(2026, 11, 23)
WEIGHT_BANDS = (Band(D(0), D(2000), D("4.90")), Band(D(2000), D(5000), D("6.90")), Band(D(5000), D(31500), D("12.5")))


def standard(**kw: object) -> MethodRule:
    values: dict[str, object] = {
        "method_id": 1, "code": "STD", "name": "Standard", "currency": "EUR", "carrier_code": "dhl",
        "carrier_name": "DHL", "transit_days": 2, "dim_divisor": 5000,
        "tables": {(1, "weight"): WEIGHT_BANDS, (2, "weight"): WEIGHT_BANDS},
        "free_thresholds": {1: D("100")},
        "remote_area_surcharge": D("4"), "remote_area_patterns": tuple(parse_patterns(["18565", "259*"])),
        "oversize_surcharge": D("15"), "oversize_length_mm": 1200,
    }
    values.update(kw)
    return MethodRule(**values)  # type: ignore[arg-type]


def test_dimensional_weight_counts_when_heavier_than_the_actual_weight() -> None:
    # 400 × 300 × 100 mm = 12,000,000 mm³ / 5000 = 2,400 g
    parcel = Parcel(weight_g=1800, volume_mm3=400 * 300 * 100, item_count=1, order_value=D("50"),
                    longest_side_mm=400)
    result = rate(Address("DE", "10115"), ZONES, [standard()], parcel, ORIGIN, MONDAY)
    assert result.zone == GERMANY
    [option] = result.options
    assert option.cost == D("6.90")
    assert option.explanation[:3] == (
        "zone Germany (postcode 10115)",
        "chargeable weight 2,400 g (dimensional 2,400 g > actual 1,800 g)",
        "band 2,000–5,000 g: 6.90",
    )
    assert option.promised_date == date(2026, 11, 26)  # Monday + 1 handling + 2 transit


def test_no_dimensional_weight_with_divisor_zero() -> None:
    parcel = Parcel(weight_g=1800, volume_mm3=400 * 300 * 100)
    [option] = rate(Address("DE", "10115"), ZONES, [standard(dim_divisor=0)], parcel, ORIGIN, MONDAY).options
    assert option.cost == D("4.90")
    assert "no dimensional weight" in option.explanation[1]


def test_remote_area_and_oversize_surcharges_are_added_and_explained() -> None:
    parcel = Parcel(weight_g=1000, item_count=1, order_value=D("20"), longest_side_mm=1500)
    [option] = rate(Address("DE", "25980"), ZONES, [standard()], parcel, ORIGIN, MONDAY).options
    assert option.cost == D("23.90")  # 4.90 + 4.00 remote + 15.00 oversize
    assert option.explanation[0] == "zone German islands (postcode 25980)"
    assert "remote area surcharge +4.00" in option.explanation
    assert "oversize surcharge (longest side 1,500 mm > 1,200 mm) +15.00" in option.explanation


def test_free_shipping_at_the_threshold_zeroes_the_cost() -> None:
    parcel = Parcel(weight_g=1000, order_value=D("120"))
    [option] = rate(Address("DE", "10115"), ZONES, [standard()], parcel, ORIGIN, MONDAY).options
    assert option.cost == D("0.00")
    assert "free shipping: order 120.00 ≥ 100.00 → 0.00" in option.explanation
    just_below = Parcel(weight_g=1000, order_value=D("99.99"))
    assert rate(Address("DE", "10115"), ZONES, [standard()], just_below, ORIGIN, MONDAY).options[0].cost == D("4.90")
    # the threshold is per zone: the islands have none
    assert rate(Address("DE", "18565"), ZONES, [standard()], parcel, ORIGIN, MONDAY).options[0].cost == D("8.90")


def test_a_parcel_outside_every_band_is_not_offered_with_a_reason() -> None:
    parcel = Parcel(weight_g=40_000)
    result = rate(Address("DE", "10115"), ZONES, [standard()], parcel, ORIGIN, MONDAY)
    assert result.options == ()
    [refused] = result.not_offered
    assert refused.reason == "STD: no weight band for 40,000 g in zone Germany"


def test_a_method_without_a_table_for_the_zone_is_not_offered() -> None:
    outcome = rate_method(standard(tables={(2, "weight"): WEIGHT_BANDS}), GERMANY, Address("DE", "10115"),
                          Parcel(weight_g=100), ORIGIN, MONDAY)
    assert isinstance(outcome, NotOffered)
    assert "no rates for zone Germany" in outcome.reason


def test_tables_of_several_bases_add_up() -> None:
    method = standard(tables={
        (1, "weight"): WEIGHT_BANDS,
        (1, "item_count"): (Band(D(1), D(5), D("0")), Band(D(5), None, D("2.5"))),
        (1, "order_value"): (Band(D(0), D(50), D("1")), Band(D(50), None, D("0"))),
    }, free_thresholds={})
    parcel = Parcel(weight_g=500, item_count=6, order_value=D("30"))
    outcome = rate_method(method, GERMANY, Address("DE", "10115"), parcel, ORIGIN, MONDAY)
    assert isinstance(outcome, RatedOption)
    assert outcome.cost == D("8.40")  # 4.90 + 2.50 + 1.00
    assert "band 5 items and over: 2.50" in outcome.explanation
    assert "band 0.00–50.00 EUR order value: 1.00" in outcome.explanation


def test_options_are_sorted_by_cost_and_cost_is_rounded_half_even() -> None:
    cheap = standard(method_id=2, code="ECO", tables={(1, "weight"): (Band(D(0), None, D("3.125")),)})
    result = rate(Address("DE", "10115"), ZONES, [standard(), cheap], Parcel(weight_g=100), ORIGIN, MONDAY)
    assert [o.method.code for o in result.options] == ["ECO", "STD"]
    assert result.options[0].cost == D("3.12")


def test_an_address_outside_every_zone_has_no_zone() -> None:
    result = rate(Address("FR", "75001"), ZONES, [standard()], Parcel(weight_g=100), ORIGIN, MONDAY)
    assert result.zone is None and result.options == ()


def test_working_days_skip_weekends() -> None:
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 1) == date(2026, 11, 30)
    assert add_working_days(friday, 3) == date(2026, 12, 2)
    assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 30)  # Saturday, nothing to add: Monday
    assert add_working_days(MONDAY, 0) == MONDAY


def test_dimensional_weight_rounds_up() -> None:
    assert dimensional_weight(5001, 5000) == 2
    assert dimensional_weight(0, 5000) == 0
    assert dimensional_weight(10**9, 0) == 0
