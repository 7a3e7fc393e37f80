"""The replenishment formula and the putaway ranking, as pure functions (hypothesis for the formula's promises)."""

from hypothesis import given
from hypothesis import strategies as st

from stockyard.purchasing.putaway_rules import Bin, rank_bins
from stockyard.purchasing.reorder import ReorderInput, advise, round_to_packs

inputs = st.builds(
    ReorderInput, available=st.integers(-50, 500), inbound=st.integers(0, 500), minimum=st.integers(0, 300),
    safety_stock=st.integers(0, 100), lead_time_days=st.integers(0, 60), shipped=st.integers(0, 3000),
    days=st.integers(1, 90), cover_days=st.integers(0, 60), pack_size=st.integers(1, 50),
    min_order_qty=st.integers(1, 200))


@given(inputs)
def test_an_order_lifts_the_position_to_the_target_in_whole_packs_and_no_pack_more(given_: ReorderInput) -> None:
    advice = advise(given_)
    if advice.position >= advice.reorder_point:
        assert advice.quantity == 0
        return
    assert advice.position + advice.quantity >= advice.target
    assert advice.quantity % given_.pack_size == 0
    assert advice.quantity >= given_.min_order_qty
    # one pack less would fall short of the need or of the minimum order
    assert advice.quantity - given_.pack_size < max(advice.need, given_.min_order_qty)


@given(inputs)
def test_the_reorder_point_covers_the_minimum_and_safety_stock_plus_lead_time_demand(given_: ReorderInput) -> None:
    advice = advise(given_)
    assert advice.reorder_point >= given_.minimum
    assert advice.reorder_point >= given_.safety_stock + advice.velocity * given_.lead_time_days


def test_worked_example() -> None:
    # 60 shipped in 30 days = 2/day; lead time 5 → 10; reorder point max(8, 4 + 10) = 14; position 3 + 2 = 5;
    # target 14 + 2 × 7 = 28; need 23 → packs of 10 → 30.
    advice = advise(ReorderInput(available=3, inbound=2, minimum=8, safety_stock=4, lead_time_days=5, shipped=60,
                                 days=30, cover_days=7, pack_size=10, min_order_qty=1))
    assert (advice.reorder_point, advice.position, advice.target, advice.need, advice.quantity) == (14, 5, 28, 23, 30)
    assert round_to_packs(7, 6, 12) == 12 and round_to_packs(13, 6, 12) == 18 and round_to_packs(0, 6, 12) == 0


def _bin(i: int, path: str, *, capacity: int | None = None, on_hand: int = 0, own: int = 0,
         rule: int | None = None, type_: str = "storage") -> Bin:
    return Bin(i, path, type_, capacity, on_hand, own, rule)


def test_bins_holding_the_sku_come_first_then_the_category_rule_then_free_capacity() -> None:
    bins = [_bin(1, "W/A/01", capacity=100, on_hand=10), _bin(2, "W/A/02", capacity=100, on_hand=90, own=5),
            _bin(3, "W/B/01", capacity=50, rule=0), _bin(4, "W/A/03", capacity=200),
            _bin(5, "W/R/01", type_="receiving"),
            _bin(6, "W/A/04", capacity=10), _bin(7, "W/C/01")]
    ranked = rank_bins(bins, 8)
    assert [s.path for s in ranked] == ["W/A/02", "W/B/01", "W/A/03", "W/A/01", "W/A/04"]
    assert ranked[0].reasons[0] == "already holds 5 of this SKU"
    assert "putaway rule for the SKU's category" in ranked[1].reasons
    # 20 units: the SKU's bin has room for 10 only, the small bin none; unlimited bins come after known room
    assert [s.path for s in rank_bins(bins, 20, limit=10)] == ["W/B/01", "W/A/03", "W/A/01", "W/C/01"]


bins = st.lists(st.builds(
    Bin, location_id=st.integers(1, 10_000), path=st.text("AB/0123", min_size=1, max_size=8),
    type=st.sampled_from(["storage", "picking", "receiving", "quarantine"]),
    capacity=st.one_of(st.none(), st.integers(1, 200)), on_hand=st.integers(0, 250), sku_on_hand=st.integers(0, 50),
    rule_depth=st.one_of(st.none(), st.integers(0, 3))), max_size=30)


@given(bins, st.integers(1, 150))
def test_every_suggestion_can_take_the_units_and_the_skus_own_bins_come_first(candidates: list[Bin],
                                                                               quantity: int) -> None:
    ranked = rank_bins(candidates, quantity, limit=50)
    for s in ranked:
        assert s.free is None or s.free >= quantity
    holds = [s.sku_on_hand > 0 for s in ranked]
    assert holds == sorted(holds, reverse=True)  # every bin holding the SKU before every bin that does not
    fitting = [b for b in candidates if b.type in ("storage", "picking") and (b.free is None or b.free >= quantity)]
    assert len(ranked) == min(len(fitting), 50)
