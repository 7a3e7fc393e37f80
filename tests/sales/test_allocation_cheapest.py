"""The cheapest_shipping allocation strategy as a pure rule: whole plans compared by what their parcels cost."""

from collections.abc import Mapping
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from stockyard.sales.domain import AllocationPlan, Need, ShippingRates, WarehouseOption, plan_allocation


def per_parcel(prices: Mapping[int, str], per_unit: Mapping[int, str] | None = None) -> ShippingRates:
    """A parcel from warehouse w costs prices[w] plus per_unit[w] for each unit in it."""
    def cost(warehouse_id: int, parcel: Mapping[int, int]) -> Decimal | None:
        if warehouse_id not in prices:
            return None
        extra = Decimal((per_unit or {}).get(warehouse_id, "0")) * sum(parcel.values())
        return Decimal(prices[warehouse_id]) + extra

    return ShippingRates(cost, "EUR", "Standard")


def test_the_cheaper_origin_wins_over_priority_and_the_reason_says_by_how_much() -> None:
    needs = [Need(1, 10, 2)]
    options = [WarehouseOption(1, 1, {10: 5}, label="MUC"), WarehouseOption(2, 9, {10: 5}, label="BER")]
    plan = plan_allocation("cheapest_shipping", needs, options, allow_split=True,
                           rates=per_parcel({1: "6.90", 2: "4.90"}))
    assert plan.takes == {1: [(2, 2)]}
    assert plan.reason == "cheapest shipping by Standard: from BER 4.90 EUR vs MUC 6.90 EUR"


def test_a_split_that_costs_more_loses_to_one_parcel_from_a_dearer_warehouse() -> None:
    needs = [Need(1, 10, 1), Need(2, 11, 1)]
    # NEAR has only the first SKU and ships cheaply; FAR has both and ships dearer.
    options = [WarehouseOption(1, 1, {10: 5}, label="NEAR"), WarehouseOption(2, 2, {10: 5, 11: 5}, label="FAR")]
    plan = plan_allocation("cheapest_shipping", needs, options, allow_split=True,
                           rates=per_parcel({1: "1.50", 2: "6.90"}))
    assert plan.takes == {1: [(2, 1)], 2: [(2, 1)]}
    assert "from FAR 6.90 EUR vs NEAR + FAR 8.40 EUR" in plan.reason


def test_a_split_that_costs_less_than_any_single_parcel_is_chosen() -> None:
    needs = [Need(1, 10, 4), Need(2, 11, 1)]
    # A parcel costs more with every unit in it from A and B, so the heavy line goes from the cheap-per-unit C.
    options = [WarehouseOption(1, 1, {10: 4, 11: 1}, label="A"), WarehouseOption(2, 2, {10: 4}, label="C")]
    plan = plan_allocation("cheapest_shipping", needs, options, allow_split=True,
                           rates=per_parcel({1: "2.00", 2: "2.00"}, {1: "3.00", 2: "0.10"}))
    assert plan.takes == {1: [(2, 4)], 2: [(1, 1)]}  # C: 2.40 + A: 5.00 = 7.40 < A alone: 17.00
    assert plan.reason.startswith("cheapest shipping by Standard: from A + C 7.40 EUR vs A 17.00 EUR")


def test_serving_every_unit_comes_before_a_cheaper_backorder() -> None:
    needs = [Need(1, 10, 3)]
    options = [WarehouseOption(1, 1, {10: 1}, label="CHEAP"), WarehouseOption(2, 2, {10: 3}, label="DEAR")]
    plan = plan_allocation("cheapest_shipping", needs, options, allow_split=False,
                           rates=per_parcel({1: "1.00", 2: "9.00"}))
    assert plan.takes == {1: [(2, 3)]} and not plan.short
    assert plan.reason.endswith("; split shipments not allowed")


def test_a_warehouse_without_a_rate_comes_after_every_priced_one() -> None:
    needs = [Need(1, 10, 1)]
    options = [WarehouseOption(1, 1, {10: 1}, label="NORATE"), WarehouseOption(2, 2, {10: 1}, label="PRICED")]
    plan = plan_allocation("cheapest_shipping", needs, options, allow_split=True, rates=per_parcel({2: "8.00"}))
    assert plan.takes == {1: [(2, 1)]}
    assert plan.reason == "cheapest shipping by Standard: from PRICED 8.00 EUR vs NORATE no rate"


def test_without_any_price_it_says_so_and_keeps_warehouse_priority() -> None:
    needs = [Need(1, 10, 1)]
    options = [WarehouseOption(1, 5, {10: 1}), WarehouseOption(2, 1, {10: 1})]
    plan = plan_allocation("cheapest_shipping", needs, options, allow_split=True)
    assert plan.takes == {1: [(2, 1)]}
    assert "no shipping rate known" in plan.reason


def test_flat_costs_per_warehouse_price_plans_when_no_rates_are_given() -> None:
    needs = [Need(1, 10, 1)]
    options = [WarehouseOption(1, 1, {10: 1}, shipping_cost=Decimal("7")),
               WarehouseOption(2, 2, {10: 1}, shipping_cost=Decimal("3"))]
    assert plan_allocation("cheapest_shipping", needs, options, allow_split=True).takes == {1: [(2, 1)]}


def _cost(plan: AllocationPlan, rates: ShippingRates) -> Decimal | None:
    total = Decimal(0)
    for warehouse_id, parcel in plan.shipments().items():
        cost = rates.cost(warehouse_id, parcel)
        if cost is None:
            return None
        total += cost
    return total


@given(
    wanted=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=3),
    stock=st.lists(st.lists(st.integers(min_value=0, max_value=8), min_size=3, max_size=3), min_size=1, max_size=4),
    base=st.lists(st.integers(min_value=0, max_value=2000), min_size=4, max_size=4),
    per_unit=st.lists(st.integers(min_value=0, max_value=300), min_size=4, max_size=4),
    split=st.booleans(),
)
def test_the_chosen_plan_is_never_dearer_than_another_plan_serving_as_much(
        wanted: list[int], stock: list[list[int]], base: list[int], per_unit: list[int], split: bool) -> None:
    needs = [Need(i, 100 + i, q) for i, q in enumerate(wanted)]
    options = [WarehouseOption(w, w, {100 + i: free[i] for i in range(3)}) for w, free in enumerate(stock)]
    rates = per_parcel({w: str(Decimal(base[w]) / 100) for w in range(len(stock))},
                       {w: str(Decimal(per_unit[w]) / 100) for w in range(len(stock))})
    chosen = plan_allocation("cheapest_shipping", needs, options, allow_split=split, rates=rates)
    served = sum(chosen.allocated(n.line_id) for n in needs)
    for need in needs:
        assert chosen.allocated(need.line_id) + chosen.short.get(need.line_id, 0) == need.quantity
    for option in options:  # never more than is free
        for sku, free in option.free.items():
            taken = sum(q for n in needs if n.sku_id == sku for w, q in chosen.takes.get(n.line_id, [])
                        if w == option.warehouse_id)
            assert taken <= free
    cost = _cost(chosen, rates)
    assert cost is not None
    # every single-warehouse plan that serves the whole order, and what the other strategies would do
    rivals = [AllocationPlan(takes={n.line_id: [(o.warehouse_id, n.quantity)] for n in needs}) for o in options
              if all(o.free.get(n.sku_id, 0) >= n.quantity for n in needs)]
    rivals += [plan_allocation(s, needs, options, allow_split=split) for s in ("priority", "fewest_shipments")]
    for rival in rivals:
        rival_served = sum(rival.allocated(n.line_id) for n in needs)
        assert served >= rival_served
        if rival_served == served:
            assert cost <= _cost(rival, rates)  # type: ignore[operator]
