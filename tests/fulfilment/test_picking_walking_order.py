"""Pick lines come in walking order of the location tree: natural order of paths, S-shaped through aisles."""

from hypothesis import given
from hypothesis import strategies as st

from stockyard.fulfilment.walking_order import natural_key, walking_order


def paths(items: list[str], **kw: bool) -> list[str]:
    return walking_order(items, lambda p: p, **kw)


def test_numbers_in_paths_compare_as_numbers() -> None:
    assert paths(["MAIN/A/10", "MAIN/A/2", "MAIN/A/01"], serpentine=False) == ["MAIN/A/01", "MAIN/A/2", "MAIN/A/10"]
    assert natural_key("MAIN/b/2") < natural_key("MAIN/B/10")


def test_zone_then_aisle_then_bin() -> None:
    given_order = ["MAIN/B/01/3", "MAIN/A/02/1", "MAIN/A/01/2", "MAIN/A/01/1"]
    assert paths(given_order, serpentine=False) == ["MAIN/A/01/1", "MAIN/A/01/2", "MAIN/A/02/1", "MAIN/B/01/3"]


def test_every_second_aisle_is_walked_back_to_front() -> None:
    bins = ["MAIN/A/01/1", "MAIN/A/01/5", "MAIN/A/02/1", "MAIN/A/02/5", "MAIN/A/03/1", "MAIN/A/03/5"]
    assert paths(list(reversed(bins))) == ["MAIN/A/01/1", "MAIN/A/01/5", "MAIN/A/02/5", "MAIN/A/02/1",
                                           "MAIN/A/03/1", "MAIN/A/03/5"]


def test_only_visited_aisles_count_for_the_direction() -> None:
    # aisle 02 is not on the list: aisle 03 is the second aisle walked, so back to front
    assert paths(["MAIN/A/03/1", "MAIN/A/01/1", "MAIN/A/03/4"]) == ["MAIN/A/01/1", "MAIN/A/03/4", "MAIN/A/03/1"]


def test_lines_at_the_same_location_keep_their_order() -> None:
    lines = [("MAIN/A/02/1", "x"), ("MAIN/A/01/1", "y"), ("MAIN/A/02/1", "z"), ("MAIN/A/02/2", "w")]
    assert [tag for _, tag in walking_order(lines, lambda li: li[0])] == ["y", "w", "x", "z"]


segment = st.from_regex(r"[A-C]?[0-9]{1,2}", fullmatch=True)


@given(st.lists(st.lists(segment, min_size=2, max_size=3).map(lambda s: "W/" + "/".join(s)), max_size=30))
def test_walking_order_is_a_permutation_that_visits_each_aisle_once(items: list[str]) -> None:
    walked = paths(items)
    assert sorted(walked) == sorted(items)
    aisles = [natural_key(p.rsplit("/", 1)[0]) for p in walked]
    seen: list[object] = []
    for aisle in aisles:
        if not seen or seen[-1] != aisle:
            assert aisle not in seen, f"aisle {aisle} walked twice in {walked}"
            seen.append(aisle)
