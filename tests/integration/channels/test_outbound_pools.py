"""Available-to-sell per channel: a share of the feeding warehouses' ATP, less a buffer (pure rules)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.core.errors import ValidationFailed
from stockyard.integration.channels.pools import Pool, available_to_sell, pool_atp

atps = st.dictionaries(st.integers(1, 6), st.integers(-5, 500), max_size=6)
pools = st.builds(Pool, st.frozensets(st.integers(1, 6), max_size=4), st.integers(0, 100), st.integers(0, 50))


@given(atps, pools)
def test_a_channel_never_offers_more_than_the_true_atp_nor_less_than_nothing(atp: dict[int, int], pool: Pool) -> None:
    offered = available_to_sell(atp, pool)
    assert 0 <= offered <= pool_atp(atp, pool) <= sum(max(a, 0) for a in atp.values())


@given(atps, pools, st.integers(1, 6), st.integers(1, 50))
def test_more_stock_never_lowers_what_a_channel_offers(atp: dict[int, int], pool: Pool, wh: int, more: int) -> None:
    richer = {**atp, wh: max(atp.get(wh, 0), 0) + more}
    assert available_to_sell(richer, pool) >= available_to_sell(atp, pool)


@given(atps, st.integers(0, 100), st.integers(0, 50))
def test_the_buffer_holds_back_exactly_its_units_while_there_are_enough(atp: dict[int, int], share: int,
                                                                         buffer: int) -> None:
    without = available_to_sell(atp, Pool(share_pct=share))
    assert available_to_sell(atp, Pool(share_pct=share, buffer=buffer)) == max(without - buffer, 0)


@given(st.lists(st.integers(0, 100), min_size=1, max_size=4), st.integers(0, 1000))
def test_shares_that_add_up_to_100_never_oversell_between_channels(shares: list[int], stock: int) -> None:
    total = sum(shares)
    if total > 100:
        return
    assert sum(available_to_sell({1: stock}, Pool(share_pct=s)) for s in shares) <= stock


def test_only_the_feeding_warehouses_count() -> None:
    atp = {1: 10, 2: 7, 3: -2}
    assert available_to_sell(atp, Pool()) == 17
    assert available_to_sell(atp, Pool(frozenset({2, 3}))) == 7
    assert available_to_sell(atp, Pool(frozenset({1}), share_pct=50, buffer=2)) == 3


@pytest.mark.parametrize(("share", "buffer", "field"), [(101, 0, "stock_share_pct"), (-1, 0, "stock_share_pct"),
                                                        (50, -3, "stock_buffer")])
def test_a_pool_out_of_range_is_refused_naming_the_field(share: int, buffer: int, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Pool(share_pct=share, buffer=buffer)
    assert refused.value.field == field
