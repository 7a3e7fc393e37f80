"""The /erp/analytics pages over HTTP: the index, a KPI with its tables and drill-down links, CSV exports, ABC, and
the errors a user sees for bad input or an unknown KPI."""

import base64
import csv
import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.analytics.history import END, START, History
from tests.web.test_api_csrf import signed_in

PERIOD = f"from={START.isoformat()}&to={END.isoformat()}"
IN_HTML = PERIOD.replace("&", "&amp;")


@pytest.fixture
def history(inventory_history: History) -> History:
    return inventory_history


@pytest.fixture(scope="module")
def browser(inventory_history: History, engine: Engine, app_for) -> TestClient:  # noqa: ANN001
    return signed_in(app_for(engine), inventory_history.ctx, "accountant")[0]


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_index_lists_every_kpi_by_group_with_its_figure_and_chart(browser: TestClient) -> None:
    page = browser.get(f"/erp/analytics?{PERIOD}&bucket=week")
    assert page.status_code == 200
    assert '<h2>Inventory</h2>' in page.text
    for key in ("inventory-turnover", "days-of-inventory", "fill-rate", "stock-out-frequency", "aged-inventory",
                "inventory-accuracy"):
        assert f'id="kpi-{key}"' in page.text
    tile = page.text.split('id="kpi-inventory-turnover"', 1)[1].split("</a>", 1)[0]
    assert '<span class="kpi-value">1.24 <small>×</small>' in tile
    assert f"/erp/analytics/kpi/inventory-turnover?{IN_HTML}&amp;bucket=week" in tile
    svg = base64.b64decode(tile.split('src="data:image/svg+xml;base64,', 1)[1].split('"', 1)[0]).decode()
    assert svg.startswith("<svg")
    assert 'href="/erp/analytics"' in browser.get("/erp").text  # in the navigation


def test_the_default_period_is_the_last_90_days_by_week_and_bad_dates_are_explained(browser: TestClient) -> None:
    page = browser.get("/erp/analytics")
    assert page.status_code == 200 and '<option value="week" selected>' in page.text
    bad = browser.get("/erp/analytics?from=2025-13-01")
    assert bad.status_code == 422 and "is not a date; write it as YYYY-MM-DD" in bad.text
    backwards = browser.get("/erp/analytics?from=2025-02-01&to=2025-01-01")
    assert backwards.status_code == 422 and "the first day comes after the last day" in backwards.text
    assert browser.get("/erp/analytics?bucket=year").status_code == 422


def test_a_kpi_page_has_chart_breakdown_drill_down_links_and_transactions(browser: TestClient) -> None:
    page = browser.get(f"/erp/analytics/kpi/stock-out-frequency?{PERIOD}")
    assert page.status_code == 200
    assert '<span id="headline">13.3</span> %' in page.text
    assert "SKU-days with no sellable stock" in page.text  # the note
    assert "data:image/svg+xml;base64," in page.text
    link = f'/erp/analytics/kpi/stock-out-frequency?{IN_HTML}&amp;bucket=week&amp;sku=SKU-002'
    assert link in page.text
    filtered = browser.get(link.replace("&amp;", "&"))
    assert '<span id="headline">26.7</span>' in filtered.text  # SKU-002: 16 of 60 days
    assert 'id="active-filters"' in filtered.text
    by_warehouse = browser.get(f"/erp/analytics/kpi/inventory-turnover?{PERIOD}&by=warehouse")
    assert f"?{IN_HTML}&amp;bucket=week&amp;by=warehouse&amp;warehouse=NORTH" in by_warehouse.text  # keeps "by"
    assert browser.get(f"/erp/analytics/kpi/inventory-turnover?{PERIOD}&by=colour").status_code == 422


def test_every_table_exports_as_csv(browser: TestClient) -> None:
    base = f"/erp/analytics/kpi/inventory-turnover.csv?{PERIOD}&bucket=week&by=warehouse"
    breakdown = browser.get(base + "&table=breakdown")
    assert breakdown.status_code == 200 and breakdown.headers["content-type"].startswith("text/csv")
    assert "attachment" in breakdown.headers["content-disposition"]
    assert rows(breakdown.text)[:3] == [
        ["Warehouse", "COGS", "Opening value", "Closing value", "Average inventory", "Turnover", "Days of inventory"],
        ["MAIN", "92.00", "80.00", "42.00", "61.00", "1.51", "19.9"],
        ["NORTH", "10.00", "26.00", "16.00", "21.00", "0.48", "63.0"]]
    series = rows(browser.get(base + "&table=series").text)
    assert series[0] == ["Bucket starting", "Inventory turnover (×)"]
    assert series[3] == ["2025-01-27", "0.89"]
    transactions = rows(browser.get(base + "&table=transactions").text)
    assert [r[1:4] for r in transactions[1:]] == [["SKU-001", "MAIN", "12"], ["SKU-002", "MAIN", "4"],
                                                  ["SKU-002", "NORTH", "1"]]
    assert browser.get(base + "&table=nope").status_code == 422


def test_unknown_kpi_is_not_found_and_the_pages_need_analytics_view(history: History, browser: TestClient,
                                                                    engine: Engine, app_for) -> None:  # noqa: ANN001
    assert browser.get("/erp/analytics/kpi/no-such-kpi").status_code == 404
    assert browser.get("/erp/analytics/kpi/no-such-kpi.csv").status_code == 404
    reader, _ = signed_in(app_for(engine), history.ctx, "read_only")
    assert reader.get("/erp/analytics").status_code == 403
    assert reader.get("/erp/analytics/kpi/fill-rate.csv?table=breakdown").status_code == 403


def test_abc_page_and_csv(browser: TestClient) -> None:
    page = browser.get(f"/erp/analytics/abc?{PERIOD}")
    assert page.status_code == 200
    assert page.text.count("data:image/svg+xml;base64,") == 2
    export = rows(browser.get(f"/erp/analytics/abc.csv?{PERIOD}").text)
    # Consumption value at FIFO cost: SKU-001 52, SKU-002 50 (of 102): SKU-001 A, SKU-002 starts at 51% → A.
    assert [(r[1], r[4], r[7]) for r in export[1:]] == [("SKU-001", "52.00", "A"), ("SKU-002", "50.00", "A")]
    tight = rows(browser.get(f"/erp/analytics/abc.csv?{PERIOD}&a=50&b=90").text)
    assert [r[7] for r in tight[1:]] == ["A", "B"]
    refused = browser.get(f"/erp/analytics/abc?{PERIOD}&a=90&b=60")
    assert refused.status_code == 422 and "above the A cut-off" in refused.text


def test_every_registered_kpi_has_a_page_and_three_csv_tables(browser: TestClient) -> None:
    from stockyard.analytics.registry import all_kpis

    for key, kpi in all_kpis().items():
        page = browser.get(f"/erp/analytics/kpi/{key}?{PERIOD}&bucket=month")
        assert page.status_code == 200, key
        assert f"<h1>{kpi.title}" in page.text.replace("&#39;", "'"), key
        for table in ("series", "breakdown", "transactions"):
            export = browser.get(f"/erp/analytics/kpi/{key}.csv?{PERIOD}&bucket=month&table={table}")
            assert export.status_code == 200 and rows(export.text)[0], (key, table)


def test_a_long_drill_down_is_capped_with_a_note(browser: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from stockyard.analytics import kpi_views

    monkeypatch.setattr(kpi_views, "TRANSACTIONS_SHOWN", 2)
    page = browser.get(f"/erp/analytics/kpi/inventory-turnover?{PERIOD}")
    assert "Showing the first 2 of 3; the CSV has all of them." in page.text
    shown = page.text.split('id="transactions"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert shown.count("<tr>") == 2
