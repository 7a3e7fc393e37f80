"""ABC classification by value, against hand-worked rankings."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockyard.analytics.abc_domain import class_totals, classify
from stockyard.core.errors import ValidationFailed

D = Decimal


def test_a_is_the_top_80_percent_b_the_next_15_c_the_rest() -> None:
    # Total 1000. Ranked: P 500 (0 → 50%), Q 250 (50 → 75%), R 100 (75 → 85%), S 60 (85 → 91%), T 50 (91 → 96%),
    # U 30 (96 → 99%), V 10 (99 → 100%), W 0. Classed by the share before each item: under 80 → A, under 95 → B.
    values = {"P": D(500), "Q": D(250), "R": D(100), "S": D(60), "T": D(50), "U": D(30), "V": D(10), "W": D(0)}
    rows = classify(values)
    assert [(r.rank, r.key, r.cls) for r in rows] == [
        (1, "P", "A"), (2, "Q", "A"), (3, "R", "A"), (4, "S", "B"), (5, "T", "B"), (6, "U", "C"), (7, "V", "C"),
        (8, "W", "C")]
    assert [r.cumulative for r in rows][:3] == [D(50), D(75), D(85)]
    assert rows[2].share == D(10)
    assert class_totals(rows) == {"A": (3, D(850)), "B": (2, D(110)), "C": (3, D(40))}


def test_cut_offs_are_configurable() -> None:
    values = {"P": D(500), "Q": D(250), "R": D(100), "S": D(60), "T": D(50), "U": D(30), "V": D(10)}
    # A under 50% before the item, B under 90%: P (0) A; Q (50), R (75), S (85) B; T (91), U (96), V (99) C.
    rows = classify(values, D(50), D(90))
    assert [r.cls for r in rows] == ["A", "B", "B", "B", "C", "C", "C"]


def test_one_item_worth_most_of_the_value_is_an_a() -> None:
    rows = classify({"BIG": D(90), "SMALL": D(10)})
    assert [r.cls for r in rows] == ["A", "B"]  # SMALL starts at 90%: under the B cut-off of 95


def test_ties_rank_by_key_and_nothing_to_rank_is_empty() -> None:
    assert [r.key for r in classify({"b": D(1), "a": D(1)})] == ["a", "b"]
    assert classify({}) == []


@pytest.mark.parametrize(("a", "b", "field"), [(D(0), D(95), "a"), (D(100), D(100), "a"), (D(80), D(80), "b"),
                                               (D(80), D(101), "b")])
def test_bad_cut_offs_are_refused(a: Decimal, b: Decimal, field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        classify({"x": D(1)}, a, b)
    assert error.value.field == field


@given(st.dictionaries(st.text(min_size=1, max_size=4), st.integers(min_value=0, max_value=10_000), max_size=30))
def test_classes_are_ordered_and_a_holds_at_least_the_cut_off(raw: dict[str, int]) -> None:
    values = {k: D(v) for k, v in raw.items()}
    rows = classify(values)
    order = "ABC"
    assert [order.index(r.cls) for r in rows] == sorted(order.index(r.cls) for r in rows)
    total = sum(values.values())
    if total:
        a_value = sum(r.value for r in rows if r.cls == "A")
        assert a_value * 100 >= total * 80
