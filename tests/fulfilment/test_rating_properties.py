"""Properties of the rate engine (hypothesis): costs are never negative, grow with weight, vanish at the
free-shipping threshold, and a surcharge never lowers them."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from stockyard.fulfilment.domain import Address, Band, ZoneRule, check_bands, parse_patterns
from stockyard.fulfilment.rating import MethodRule, Origin, Parcel, RatedOption, Zone, add_working_days, rate_method

ZONE = Zone(ZoneRule(1, frozenset({"DE"})), "Germany")
ADDRESS = Address("DE", "25980")
ORIGIN = Origin(1, "Main", 1)
TODAY = date(2026, 11, 23)
prices = st.decimals(min_value=0, max_value=500, places=4, allow_nan=False, allow_infinity=False)
money = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def weight_bands(draw: st.DrawFn) -> tuple[Band, ...]:
    """Valid bands (contiguous, non-overlapping) whose prices do not fall as the weight rises."""
    bounds = sorted(set(draw(st.lists(st.integers(1, 40_000), min_size=1, max_size=6))))
    bounds = [0, *bounds]
    increments = draw(st.lists(prices, min_size=len(bounds), max_size=len(bounds)))
    price = Decimal(0)
    bands = []
    for index, lower in enumerate(bounds):
        price += increments[index]
        upper = bounds[index + 1] if index + 1 < len(bounds) else draw(st.none() | st.integers(lower + 1, 60_000))
        bands.append(Band(Decimal(lower), None if upper is None else Decimal(upper), price))
    return tuple(check_bands(bands, whole=True))


@st.composite
def methods(draw: st.DrawFn) -> MethodRule:
    threshold = draw(st.none() | money)
    return MethodRule(
        method_id=1, code="M", name="M", currency="EUR", transit_days=draw(st.integers(0, 10)),
        dim_divisor=draw(st.sampled_from([0, 4000, 5000, 6000])),
        tables={(1, "weight"): draw(weight_bands())},
        free_thresholds={} if threshold is None else {1: threshold},
        remote_area_surcharge=draw(prices), remote_area_patterns=tuple(parse_patterns([draw(st.sampled_from(
            ["259*", "10115", "0*"]))])),
        oversize_surcharge=draw(prices), oversize_length_mm=draw(st.integers(0, 2000)),
    )


parcels = st.builds(Parcel, weight_g=st.integers(0, 70_000), volume_mm3=st.integers(0, 400_000_000),
                    item_count=st.integers(1, 50), order_value=money, longest_side_mm=st.integers(0, 3000))


def cost(method: MethodRule, parcel: Parcel, address: Address = ADDRESS) -> Decimal | None:
    outcome = rate_method(method, ZONE, address, parcel, ORIGIN, TODAY)
    return outcome.cost if isinstance(outcome, RatedOption) else None


@given(methods(), parcels)
def test_costs_are_never_negative_and_in_cents(method: MethodRule, parcel: Parcel) -> None:
    found = cost(method, parcel)
    if found is not None:
        assert found >= 0
        assert found == found.quantize(Decimal("0.01"))


@given(methods(), parcels, st.integers(0, 30_000))
def test_cost_does_not_fall_as_the_weight_rises(method: MethodRule, parcel: Parcel, extra: int) -> None:
    lighter, heavier = cost(method, parcel), cost(method, replace(parcel, weight_g=parcel.weight_g + extra))
    if lighter is not None and heavier is not None:
        assert heavier >= lighter


@given(methods(), parcels)
def test_free_shipping_at_or_above_the_threshold(method: MethodRule, parcel: Parcel) -> None:
    threshold = method.free_thresholds.get(1)
    if threshold is None:
        return
    assert cost(method, replace(parcel, order_value=threshold)) in (None, Decimal("0.00"))
    assert cost(method, replace(parcel, order_value=threshold + 1)) in (None, Decimal("0.00"))


@given(methods(), parcels, prices, prices)
def test_a_surcharge_never_lowers_the_cost(method: MethodRule, parcel: Parcel, remote: Decimal,
                                           oversize: Decimal) -> None:
    without = replace(method, remote_area_surcharge=Decimal(0), oversize_surcharge=Decimal(0))
    base = cost(without, parcel)
    assert base == cost(replace(without, remote_area_patterns=()), parcel)
    with_remote = cost(replace(without, remote_area_surcharge=remote), parcel)
    with_both = cost(replace(without, remote_area_surcharge=remote, oversize_surcharge=oversize), parcel)
    if base is not None:
        assert with_remote is not None and with_both is not None
        assert base <= with_remote <= with_both


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 60))
def test_promised_dates_are_working_days_and_never_early(start: date, days: int) -> None:
    end = add_working_days(start, days)
    assert end.weekday() < 5
    assert end >= start + timedelta(days=days)
    working = sum(1 for i in range(1, (end - start).days + 1) if (start + timedelta(days=i)).weekday() < 5)
    assert working >= days
