"""Fixtures shared by the analytics tests."""

import pytest
from sqlalchemy import Engine

from tests.analytics.history import History, build_history


@pytest.fixture(scope="session")
def inventory_history(engine: Engine) -> History:
    """The inventory KPIs' known history (tests/analytics/history.py), built once per backend."""
    return build_history(engine)
