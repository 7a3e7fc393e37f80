"""The back-office stock pages at /erp, in-process, signed in through the real login form.

Each test gets its own tenant (on SQLite and, when configured, PostgreSQL) and its own cookie jar.
"Nothing changed" is checked against the ledger and by rebuilding every level from it.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from stockyard.catalog.services import add_barcode
from stockyard.core.clock import utcnow
from stockyard.core.uow import perform, read
from stockyard.inventory import counts, min_stock, queries, reservations, transfers
from stockyard.inventory.verify import verify_levels
from tests.conftest import TenantCtx
from tests.factories import World, build_world, receive

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class _Tables(HTMLParser):
    """Collects the text of every cell of the tables with a given class, row by row."""

    def __init__(self, css_class: str) -> None:
        super().__init__()
        self.css_class = css_class
        self.depth = 0  # >0 while inside a matching table
        self.in_body = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and (self.depth or self.css_class in classes):
            self.depth += 1
        elif self.depth and tag == "tbody":
            self.in_body = True
        elif self.depth and self.in_body and tag == "tr":
            self.rows.append([])
        elif self.depth and self.in_body and tag == "td":
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "tbody":
            self.in_body = False
        elif tag == "td" and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, css_class: str) -> list[list[str]]:
    """Body rows of the table(s) with this class; rows saying the table is empty are left out."""
    parser = _Tables(css_class)
    parser.feed(html)
    return [row for row in parser.rows if len(row) > 1]


def field_error(html: str, field: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{re.escape(field)}-error">([^<]*)</p>', html)
    return unescape(found[1]) if found else None


def shown_value(html: str, name: str) -> str:
    """What a form field shows: an input's value, a textarea's text, or a select's chosen option."""
    n = re.escape(name)
    found = (re.search(rf'<input[^>]*\bname="{n}"[^>]*\bvalue="([^"]*)"', html)
             or re.search(rf'<textarea[^>]*\bname="{n}"[^>]*>([^<]*)</textarea>', html))
    if found:
        return unescape(found[1])
    select = re.search(rf'<select[^>]*\bname="{n}".*?</select>', html, re.S)
    assert select, f"no field {name}"
    chosen = re.search(r'<option value="([^"]*)" selected>', select[0])
    return unescape(chosen[1]) if chosen else ""


def flashes(html: str) -> list[str]:
    return [unescape(m) for m in re.findall(r'<div class="flash flash-\w+" role="\w+">([^<]*)</div>', html)]


def unescape(text: str) -> str:
    return text.replace("&#39;", "'").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace(
        "&amp;", "&")


def atp_total(html: str) -> int:
    found = re.search(r'id="atp-total">(\d+)<', html)
    assert found, "the SKU page shows no ATP total"
    return int(found[1])


def warehouse_row(html: str, code: str) -> dict[str, str]:
    """One row of the SKU page's per-warehouse table, by column name."""
    columns = ["warehouse", "on_hand", "reserved", "safety_stock", "atp", "minimum", "quarantine", "damaged",
               "return_pending", "in_transit", "inbound"]
    for row in table_rows(html, "per-warehouse"):
        if row[0] == code:
            return dict(zip(columns, row, strict=True))
    raise AssertionError(f"no row for warehouse {code}")


@dataclass
class Staff:
    """A signed-in member of staff: the client carries the session cookie; `csrf` is the session's token."""

    client: TestClient
    csrf: str
    name: str

    def get(self, url: str, **params: str) -> Response:
        return self.client.get(url, params=params or None, follow_redirects=False)

    def post(self, url: str, data: dict[str, str], *, csrf: bool = True) -> Response:
        body = {**data, "csrf_token": self.csrf} if csrf else dict(data)
        return self.client.post(url, data=body, follow_redirects=False)

    def follow(self, response: Response) -> Response:
        assert response.status_code == 303, response.text[:2000]
        return self.get(response.headers["location"])


@pytest.fixture
def new_client(app_for, tenant: TenantCtx):  # noqa: ANN001, ANN201
    """A fresh cookie jar on the shared app of this test's backend."""
    return lambda: TestClient(app_for(tenant.engine).app)


@pytest.fixture
def sign_in(tenant: TenantCtx, new_client):  # noqa: ANN001, ANN201
    def _sign_in(role: str) -> Staff:
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        tenant.user(role, email=email, password=PASSWORD)
        client = new_client()
        token = CSRF.search(client.get("/login").text)[1]
        response = client.post("/login", data={"tenant": tenant.slug, "email": email, "password": PASSWORD,
                                                "csrf_token": token, "next": "/erp"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/erp"
        page = client.get("/erp")  # signing in starts a new session, with a new CSRF token
        assert page.status_code == 200
        return Staff(client, CSRF.search(page.text)[1], f"{role} user")

    return _sign_in


@pytest.fixture
def world(tenant: TenantCtx) -> World:
    return build_world(tenant)


@pytest.fixture
def manager(sign_in) -> Staff:  # noqa: ANN001
    return sign_in("warehouse_manager")


def ledger_size(ctx: TenantCtx) -> int:
    return read(ctx.engine, ctx.actor, queries.movement_history, queries.MoveFilter()).total


def assert_unchanged(ctx: TenantCtx, moves_before: int) -> None:
    assert ledger_size(ctx) == moves_before
    assert verify_levels(ctx.engine, ctx.tenant_id) == []


# ---- signing in and CSRF ----------------------------------------------------------------------------------------

def test_signed_out_user_is_sent_to_login_and_cannot_post(tenant: TenantCtx, world: World, new_client) -> None:  # noqa: ANN001
    client = new_client()
    for url in ["/erp", "/erp/stock", "/erp/stock/SKU-001", "/erp/receive", "/erp/counts/1"]:
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={url}"
    response = client.post("/erp/receive", data={"sku": "SKU-001", "location": "MAIN/A/01", "quantity": "5"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert_unchanged(tenant, 0)


def test_post_without_or_with_a_wrong_csrf_token_is_refused(tenant: TenantCtx, world: World, manager: Staff) -> None:
    form = {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": "5"}
    for response in [manager.post("/erp/receive", form, csrf=False),
                     manager.post("/erp/receive", {**form, "csrf_token": "forged"}, csrf=False)]:
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "security token is missing or stale" in response.text
    assert_unchanged(tenant, 0)
    assert atp_total(manager.get("/erp/stock/SKU-001").text) == 0


# ---- receiving --------------------------------------------------------------------------------------------------

def test_receive_through_the_form_then_the_stock_page_shows_the_new_atp(tenant: TenantCtx, world: World,
                                                                       manager: Staff) -> None:
    page = manager.get("/erp/receive", sku="SKU-001")
    assert page.status_code == 200 and 'value="SKU-001"' in page.text  # prefilled from the stock page's link

    response = manager.post("/erp/receive", {"sku": "SKU-001", "location": "main/a/01", "quantity": "5",
                                             "status": "sellable", "unit_cost": "", "lot": "", "note": ""})
    assert response.status_code == 303
    assert response.headers["location"] == "/erp/stock/SKU-001"
    stock_page = manager.follow(response)
    assert "Received 5 × SKU-001 into MAIN/A/01" in flashes(stock_page.text)
    assert atp_total(stock_page.text) == 5
    assert warehouse_row(stock_page.text, "MAIN")["atp"] == "5"
    assert table_rows(stock_page.text, "levels") == [["MAIN", "MAIN/A/01", "sellable", "", "5", ""]]

    # The empty unit cost was left out (no cost), not refused and not zero.
    move = read(tenant.engine, tenant.actor, queries.movement_history, queries.MoveFilter()).items[0][0]
    assert move.unit_cost is None and move.actor_name == manager.name

    # By barcode, with a cost; the flash names the SKU, not the barcode.
    perform(tenant.engine, tenant.actor, add_barcode, sku="SKU-001", code="4006381333931", kind="ean13")
    response = manager.post("/erp/receive", {"sku": "4006381333931", "location": "MAIN/A/02", "quantity": "3",
                                             "unit_cost": "2.50", "status": "sellable"})
    stock_page = manager.follow(response)
    assert "Received 3 × SKU-001 into MAIN/A/02" in flashes(stock_page.text)
    assert atp_total(stock_page.text) == 8
    assert verify_levels(tenant.engine, tenant.tenant_id) == []


def test_dashboard_shows_value_alerts_transfers_and_counts(tenant: TenantCtx, world: World, manager: Staff) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 10, unit_cost="2.50")
    receive(tenant, "SKU-002", "NORTH/B/01", 4, unit_cost="1.00")
    perform(tenant.engine, tenant.actor, min_stock.set_min_stock_rule, sku="SKU-002", warehouse="NORTH", minimum=6)
    perform(tenant.engine, tenant.actor, transfers.dispatch_transfer, transfers.DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH", lines=[{"sku": "SKU-001", "from_location": "MAIN/A/01",
                                                             "quantity": 2}]))
    perform(tenant.engine, tenant.actor, counts.open_count, counts.OpenCount(warehouse="MAIN", locations=["MAIN/A"]))

    html = manager.get("/erp").text
    # Value per warehouse follows the stock: in-transit units count at their destination.
    value = {row[0]: row for row in table_rows(html, "value")}
    assert value["MAIN"][2:4] == ["8", "20.00"]
    assert value["NORTH"][2:4] == ["6", "9.00"]
    assert [row[:4] for row in table_rows(html, "alerts")] == [["SKU-002 Part 2", "NORTH", "4", "6"]]
    assert [row[1:] for row in table_rows(html, "transfers")] == [["MAIN → NORTH", "in transit", "0 / 2"]]
    assert [row[1:3] for row in table_rows(html, "counts")] == [["MAIN", "0 / 1"]]


# ---- bad input --------------------------------------------------------------------------------------------------

BAD_INPUT = [
    pytest.param("/erp/receive", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": "0"},
                 422, "quantity", "greater than 0", id="receive-quantity-zero"),
    pytest.param("/erp/receive", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": "five"},
                 422, "quantity", "valid integer", id="receive-quantity-not-a-number"),
    pytest.param("/erp/receive", {"sku": "NOPE-1", "location": "MAIN/A/01", "quantity": "2"},
                 404, "sku", "unknown SKU 'NOPE-1'", id="receive-unknown-sku"),
    pytest.param("/erp/receive", {"sku": "SKU-001", "location": "MAIN/Z/99", "quantity": "2"},
                 404, "location", "unknown location 'MAIN/Z/99'", id="receive-unknown-location"),
    pytest.param("/erp/receive", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": "2", "unit_cost": "-1"},
                 422, "unit_cost", "greater than or equal to 0", id="receive-negative-cost"),
    pytest.param("/erp/move", {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02",
                               "quantity": "6"},
                 409, "quantity", "only 5 free at MAIN/A/01", id="move-more-than-on-hand"),
    pytest.param("/erp/move", {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "NORTH/B/01",
                               "quantity": "1"},
                 422, "to_location", "use a transfer", id="move-to-another-warehouse"),
    pytest.param("/erp/write-off", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": "1", "reason": ""},
                 422, "reason", "Field required", id="write-off-without-reason"),
    pytest.param("/erp/status", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": "1",
                                 "from_status": "sellable", "to_status": "sellable"},
                 422, "to_status", "same as from_status", id="status-unchanged"),
    pytest.param("/erp/transfers/new", {"from_warehouse": "MAIN", "to_warehouse": "MAIN", "lines.0.sku": "SKU-001",
                                        "lines.0.from_location": "MAIN/A/01", "lines.0.quantity": "1"},
                 422, "to_warehouse", "is the same warehouse as from_warehouse", id="transfer-to-same-warehouse"),
    pytest.param("/erp/transfers/new", {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines.2.sku": "SKU-001",
                                        "lines.2.from_location": "MAIN/A/01", "lines.2.quantity": "0"},
                 422, "lines.2.quantity", "greater than 0", id="transfer-line-quantity-zero"),
    pytest.param("/erp/transfers/new", {"from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines.1.sku": "SKU-001",
                                        "lines.1.from_location": "NORTH/B/01", "lines.1.quantity": "1"},
                 422, "lines.1.from_location", "not in the chosen warehouse", id="transfer-line-wrong-warehouse"),
    pytest.param("/erp/counts", {"warehouse": "MAIN", "locations": "MAIN/NOPE"},
                 404, "locations", "unknown location 'MAIN/NOPE'", id="count-unknown-location"),
]


@pytest.mark.parametrize(("url", "form", "status", "field", "message"), BAD_INPUT)
def test_bad_input_is_shown_next_to_its_field_and_changes_nothing(
    tenant: TenantCtx, world: World, manager: Staff, url: str, form: dict[str, str], status: int, field: str,
    message: str,
) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    before = ledger_size(tenant)

    response = manager.post(url, form)

    assert response.status_code == status, response.text[:3000]
    assert response.headers["content-type"].startswith("text/html")
    error = field_error(response.text, field)
    assert error is not None and message in error, f"{field}: {error!r}"
    for name, value in form.items():  # what was typed is shown again
        assert shown_value(response.text, name) == value, name
    assert_unchanged(tenant, before)
    if url != "/erp/counts":
        assert read(tenant.engine, tenant.actor, queries.list_counts).total == 0
    assert read(tenant.engine, tenant.actor, queries.list_transfers).total == 0


# ---- movements, transfers, counts, reservations -----------------------------------------------------------------

def test_move_write_off_and_status_change_through_the_forms(tenant: TenantCtx, world: World,
                                                            manager: Staff) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    page = manager.follow(manager.post("/erp/move", {"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": "4",
                                                      "to_location": "MAIN/A/02", "reason": "putaway"}))
    assert "Moved 4 × SKU-001 from MAIN/A/01 to MAIN/A/02" in flashes(page.text)
    assert atp_total(page.text) == 10

    page = manager.follow(manager.post("/erp/write-off", {"sku": "SKU-001", "location": "MAIN/A/02", "quantity": "1",
                                                           "reason": "damaged", "note": "dropped"}))
    assert "Wrote off 1 × SKU-001 from MAIN/A/02 (damaged)" in flashes(page.text)
    assert atp_total(page.text) == 9

    page = manager.follow(manager.post("/erp/status", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": "2",
                                                        "from_status": "sellable", "to_status": "quarantine"}))
    assert "Changed 2 × SKU-001 at MAIN/A/01 from sellable to quarantine" in flashes(page.text)
    assert atp_total(page.text) == 7
    assert warehouse_row(page.text, "MAIN")["quarantine"] == "2"
    history = table_rows(page.text, "moves")
    assert [row[6] for row in history] == ["status change", "write off", "putaway", "receipt"]
    assert verify_levels(tenant.engine, tenant.tenant_id) == []


def test_transfer_dispatch_and_partial_receipt(tenant: TenantCtx, world: World, manager: Staff) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    response = manager.post("/erp/transfers/new", {
        "from_warehouse": "MAIN", "to_warehouse": "NORTH", "lines.1.sku": "SKU-001",
        "lines.1.from_location": "MAIN/A/01", "lines.1.quantity": "4", "note": "restock north"})
    page = manager.follow(response)
    assert "Transfer" in flashes(page.text)[0] and "4 unit(s) in transit" in flashes(page.text)[0]
    transfer_url = response.headers["location"]
    line = read(tenant.engine, tenant.actor, queries.transfer_detail, int(transfer_url.rsplit("/", 1)[1]))[1][0][0]

    too_many = manager.post(f"{transfer_url}/receive", {"line_id": str(line.id), "quantity": "5",
                                                        "to_location": "NORTH/B/01"})
    assert too_many.status_code == 422
    assert field_error(too_many.text, f"{line.id}.quantity") == "only 4 of this line are still in transit"

    page = manager.follow(manager.post(f"{transfer_url}/receive", {"line_id": str(line.id), "quantity": "1",
                                                                   "to_location": "north/b/01"}))
    assert "Received 1 unit(s) into NORTH/B/01; transfer" in flashes(page.text)[0]
    assert "partially received" in page.text
    assert table_rows(page.text, "transfer-lines")[0][3:6] == ["4", "1", "3"]

    stock_page = manager.get("/erp/stock/SKU-001").text
    assert warehouse_row(stock_page, "NORTH")["in_transit"] == "3"
    assert warehouse_row(stock_page, "NORTH")["atp"] == "1"
    assert warehouse_row(stock_page, "MAIN")["atp"] == "6"
    assert verify_levels(tenant.engine, tenant.tenant_id) == []


def test_operator_cannot_approve_a_count_but_a_manager_can(tenant: TenantCtx, world: World, sign_in) -> None:  # noqa: ANN001
    receive(tenant, "SKU-001", "MAIN/A/01", 10)
    operator = sign_in("warehouse_operator")
    response = operator.post("/erp/counts", {"warehouse": "MAIN", "locations": "MAIN/A"})
    count_url = response.headers["location"]
    count_id = int(count_url.rsplit("/", 1)[1])
    page = operator.follow(operator.post(f"{count_url}/lines", {"location": "MAIN/A/01", "sku": "SKU-001",
                                                                 "counted": "7"}))
    assert "Recorded 7 × SKU-001 at MAIN/A/01" in flashes(page.text)
    # location, sku, lot, expected, counted, system qty at count, variance
    assert table_rows(page.text, "count-lines")[0][:7] == ["MAIN/A/01", "SKU-001", "", "10", "7", "10", "-3"]
    before = ledger_size(tenant)

    refused = operator.post(f"{count_url}/approve", {})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert "lacks the permission inventory.count.approve" in refused.text
    assert operator.post(f"{count_url}/cancel", {}).status_code == 403
    assert read(tenant.engine, tenant.actor, queries.count_detail, count_id)[0].state == "open"
    assert_unchanged(tenant, before)

    manager = sign_in("warehouse_manager")
    page = manager.follow(manager.post(f"{count_url}/approve", {}))
    assert f"Count {count_id} approved with 1 adjustment(s)" in flashes(page.text)
    assert atp_total(manager.get("/erp/stock/SKU-001").text) == 7
    again = manager.post(f"{count_url}/approve", {})
    assert again.status_code == 409 and f"count {count_id} is approved" in unescape(again.text)


def test_reservation_release_needs_permission_and_frees_the_stock(tenant: TenantCtx, world: World,
                                                                  sign_in) -> None:  # noqa: ANN001
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    reservation_id = perform(tenant.engine, tenant.actor, reservations.reserve_stock,
                             reservations.ReserveStock(sku="SKU-001", quantity=2, reference="order 77"))
    manager = sign_in("warehouse_manager")
    rows = table_rows(manager.get("/erp/reservations").text, "reservations")
    assert [row[:5] for row in rows] == [[str(reservation_id), "SKU-001", "MAIN", "2", "order 77"]]
    assert atp_total(manager.get("/erp/stock/SKU-001").text) == 3

    operator = sign_in("warehouse_operator")
    assert operator.post(f"/erp/reservations/{reservation_id}/release", {}).status_code == 403
    assert atp_total(operator.get("/erp/stock/SKU-001").text) == 3

    page = manager.follow(manager.post(f"/erp/reservations/{reservation_id}/release", {}))
    assert f"Reservation {reservation_id} released" in flashes(page.text)
    assert "No active reservations" in page.text
    assert atp_total(manager.get("/erp/stock/SKU-001").text) == 5
    again = manager.post(f"/erp/reservations/{reservation_id}/release", {})
    assert again.status_code == 409 and f"reservation {reservation_id} is released" in again.text


# ---- reading ----------------------------------------------------------------------------------------------------

def test_ledger_filters(tenant: TenantCtx, world: World, manager: Staff) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    receive(tenant, "SKU-002", "MAIN/A/02", 3)
    manager.post("/erp/move", {"sku": "SKU-001", "from_location": "MAIN/A/01", "to_location": "MAIN/A/02",
                               "quantity": "2"})
    transfer_id = perform(tenant.engine, tenant.actor, transfers.dispatch_transfer, transfers.DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH",
        lines=[{"sku": "SKU-002", "from_location": "MAIN/A/02", "quantity": 1}]))

    def ledger(**params: str) -> list[tuple[str, str, str]]:
        response = manager.get("/erp/moves", **params)
        assert response.status_code == 200, response.text[:2000]
        # columns: id, when, sku, qty, from, to, status, reason, ...
        return [(row[2], row[3], row[7]) for row in table_rows(response.text, "moves")]

    assert len(ledger()) == 4
    assert ledger(sku="SKU-002") == [("SKU-002", "1", "transfer dispatch"), ("SKU-002", "3", "receipt")]
    assert ledger(location="main/a/01") == [("SKU-001", "2", "move"), ("SKU-001", "5", "receipt")]
    assert ledger(reason="receipt") == [("SKU-002", "3", "receipt"), ("SKU-001", "5", "receipt")]
    assert ledger(sku="SKU-001", reason="move") == [("SKU-001", "2", "move")]
    assert ledger(document_type="transfer", document_id=str(transfer_id)) == [("SKU-002", "1", "transfer dispatch")]
    today = utcnow().date()
    assert len(ledger(date_from=str(today - timedelta(days=1)), date_to=str(today))) == 4
    assert ledger(date_to=str(today - timedelta(days=1))) == []
    assert ledger(date_from=str(today + timedelta(days=1))) == []

    unknown = manager.get("/erp/moves", sku="NOPE")
    assert unknown.status_code == 404
    assert field_error(unknown.text, "sku") == "unknown SKU 'NOPE'"
    bad_date = manager.get("/erp/moves", date_from="yesterday")
    assert bad_date.status_code == 422 and "valid date" in field_error(bad_date.text, "date_from")
    bad_reason = manager.get("/erp/moves", reason="gift")
    assert bad_reason.status_code == 422 and field_error(bad_reason.text, "reason")


def test_ledger_pages_through_long_histories(tenant: TenantCtx, world: World, manager: Staff) -> None:
    for _ in range(51):
        receive(tenant, "SKU-001", "MAIN/A/01", 1)
    first = manager.get("/erp/moves")
    assert len(table_rows(first.text, "moves")) == 50
    assert "51 in all · page 1 of 2" in first.text
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first.text)[1]
    second = manager.get(unescape(next_link))
    assert len(table_rows(second.text, "moves")) == 1
    assert 'rel="next"' not in second.text and 'rel="prev"' in second.text


def test_stock_search_filters(tenant: TenantCtx, world: World, manager: Staff) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    receive(tenant, "SKU-002", "NORTH/B/01", 2)
    perform(tenant.engine, tenant.actor, min_stock.set_min_stock_rule, sku="SKU-002", warehouse="NORTH", minimum=3)

    def skus(**params: str) -> list[str]:
        html = manager.get("/erp/stock", **params).text
        return re.findall(r'<tbody class="sku-group" data-sku="([^"]+)"', html)

    assert skus() == ["SKU-001", "SKU-002"]
    assert skus(q="sku-002") == ["SKU-002"]
    assert skus(q="Part 1") == ["SKU-001"]
    assert skus(warehouse=str(world.north)) == ["SKU-002"]
    assert skus(short="1") == ["SKU-002"]
    assert skus(q="nothing like it") == []
    rows = table_rows(manager.get("/erp/stock", q="SKU-001").text, "stock")
    # SKU, name, ATP total, warehouse, on hand, reserved, ATP, quarantine, damaged, return pending, in transit,
    # inbound (open purchase orders)
    assert rows == [["SKU-001", "Part 1", "5", "MAIN", "5", "", "5", "", "", "", "", ""]]


def test_warehouse_tree_and_location_pages(tenant: TenantCtx, world: World, manager: Staff) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    receive(tenant, "SKU-002", "MAIN/A/02", 3)
    assert [row[0] for row in table_rows(manager.get("/erp/warehouses").text, "warehouses")] == ["MAIN", "NORTH"]
    html = manager.get(f"/erp/warehouses/{world.main}").text
    tree = {row[0].removeprefix("└ "): row for row in table_rows(html, "tree")}
    assert list(tree) == ["MAIN/A", "MAIN/A/01", "MAIN/A/02", "MAIN/Q", "MAIN/Q/01"]
    assert tree["MAIN/A"][5] == "8" and tree["MAIN/A/01"][4:6] == ["5", "5"]

    location_id = int(re.search(r'<a href="/erp/locations/(\d+)">MAIN/A/02</a>', html)[1])
    rows = table_rows(manager.get(f"/erp/locations/{location_id}").text, "location-stock")
    assert [row[:6] for row in rows] == [["SKU-002", "Part 2", "sellable", "", "3", "0"]]


def test_missing_records_get_an_html_404_page(tenant: TenantCtx, world: World, manager: Staff) -> None:
    for url, message in [("/erp/stock/NOPE", "unknown SKU 'NOPE'"), ("/erp/warehouses/999999", "unknown warehouse"),
                         ("/erp/locations/999999", "unknown location"), ("/erp/transfers/999999", "unknown transfer"),
                         ("/erp/counts/999999", "unknown count")]:
        response = manager.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/html")
        assert message in unescape(response.text)
    assert manager.get("/erp/warehouses/abc").status_code == 422
