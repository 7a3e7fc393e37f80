"""The clock: `as_of` sets the time for a block only, and time passes from there."""

from datetime import datetime, timedelta

from stockyard.core.clock import as_of, utcnow


def test_as_of_sets_the_clock_for_the_block_only() -> None:
    moment = datetime(2026, 9, 7, 10, 0)
    with as_of(moment):
        inside = utcnow()
        assert moment <= inside < moment + timedelta(seconds=5)
        with as_of(moment - timedelta(days=7)):
            assert utcnow() < moment - timedelta(days=6)
        assert utcnow() >= inside
    assert utcnow() > datetime(2026, 12, 1)
