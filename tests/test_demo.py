"""`stockyard demo` builds a parts distributor that a new user can sign in to and find work in."""

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import Engine, select, text

from stockyard.billing import journal, periods, valuation
from stockyard.billing import journal_domain as jd
from stockyard.billing import periods_domain as pd
from stockyard.billing.journal import journal_rows
from stockyard.billing.offered import offered_payment_methods
from stockyard.catalog import queries as catalog_queries
from stockyard.catalog.domain import validate_barcode
from stockyard.catalog.models import Barcode, Sku
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.db import create_db_engine
from stockyard.core.errors import Conflict, NotAuthenticated
from stockyard.core.migrate import upgrade
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.demo import build_demo, database_is_empty
from stockyard.fulfilment import execution_queries
from stockyard.identity.domain import STOREFRONT
from stockyard.identity.services import actor_from_api_key, authenticate_password
from stockyard.inventory import queries
from stockyard.inventory.verify import verify_levels
from stockyard.purchasing import queries as purchasing_queries
from stockyard.sales import carts, checkout
from stockyard.sales import queries as order_queries
from stockyard.sales.channels import list_channels
from stockyard.sales.checkout import AddressIn


def _fresh_database(path: Path) -> Engine:
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _sign_in(engine: Engine, email: str, password: str = "stockyard-demo"):  # noqa: ANN202
    return authenticate_password(engine, tenant_slug="demo", email=email, password=password)


def _barcodes(uow: UnitOfWork) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in uow.execute(select(Barcode.code, Barcode.kind, Sku.tracking)
                                          .join(Sku, Sku.id == Barcode.sku_id))]


def test_the_demo_is_a_parts_business_with_stock_and_open_work(tmp_path: Path) -> None:
    engine = _fresh_database(tmp_path / "demo.db")
    assert database_is_empty(engine)
    progress = Progress(console=Console(file=io.StringIO()))

    with progress:
        summary = build_demo(engine, progress)

    assert not database_is_empty(engine)
    assert progress.tasks and all(task.completed == task.total for task in progress.tasks)
    text_out = "\n".join(summary)
    for email in ("owner@demo.test", "manager@demo.test", "operator@demo.test"):
        assert email in text_out
    assert "stockyard-demo" in text_out

    # Every staff user signs in with the printed password; the operator works in MAIN only.
    owner = _sign_in(engine, "owner@demo.test")
    warehouses = read(engine, owner, queries.list_warehouses)
    by_code = {w.code: w for w in warehouses}
    assert _sign_in(engine, "manager@demo.test").warehouse_ids is None
    assert _sign_in(engine, "operator@demo.test").warehouse_ids == {by_code["MAIN"].id}
    with pytest.raises(NotAuthenticated):
        _sign_in(engine, "owner@demo.test", "wrong-password")
    api_key = next(line.strip() for line in summary if line.strip().startswith("sy_"))
    assert actor_from_api_key(engine, api_key).user_id == owner.user_id

    # The catalog: 500+ parts with valid EAN-13s; an OEM number finds the same part from several brands.
    skus = read(engine, owner, catalog_queries.search_skus, "", 1, 10)
    assert skus.total >= 500
    barcodes = read(engine, owner, _barcodes)
    assert len(barcodes) == skus.total
    for code, kind, _ in barcodes:
        assert kind == "ean13" and validate_barcode(code, kind) == code
    assert 3 <= sum(1 for *_, tracking in barcodes if tracking == "lot") < 20
    pads = read(engine, owner, catalog_queries.search_skus, "Brake pad set", 1, 500).items
    oem = max({p["part_number"] for p in pads}, key=lambda n: sum(p["part_number"] == n for p in pads))
    by_oem = read(engine, owner, catalog_queries.search_skus, oem).items
    assert len({s["brand"] for s in by_oem}) >= 2
    categories = set(read(engine, owner, catalog_queries.category_paths).values())
    assert {"Brakes/Pads", "Brakes/Discs", "Filters/Oil", "Ignition/Spark plugs", "Bearings/Wheel"} <= categories

    # Warehouses by priority, each with a tree of bins, and stock in them.
    assert [w.code for w in warehouses][:2] == ["MAIN", "NORTH"]
    tree = read(engine, owner, queries.location_tree, by_code["MAIN"].id)
    paths = {node["location"].path for node in tree}
    assert {"MAIN/RCV", "MAIN/A/01/03", "MAIN/PICK/01", "MAIN/PACK", "MAIN/SHIP", "MAIN/QUAR"} <= paths
    bins = [n for w in warehouses for n in read(engine, owner, queries.location_tree, w.id)
            if n["location"].kind == "bin"]
    assert len(bins) >= 200
    assert sum(1 for n in bins if n["on_hand"] > 0) >= 100
    value = {row["warehouse"]: row for row in read(engine, owner, queries.inventory_value)}
    assert value["MAIN"]["units"] > 1000 and value["NORTH"]["units"] > 100
    assert value["MAIN"]["value"] > 0 and value["MAIN"]["uncosted_units"] == 0
    stock = read(engine, owner, queries.search_stock, "", None, 1, 1000).items
    main = [s.warehouses[by_code["MAIN"].id] for s in stock if by_code["MAIN"].id in s.warehouses]
    assert sum(w.quarantine for w in main) > 0 and sum(w.damaged for w in main) > 0

    # Open work: shortages, transfers on the road (one partly received), counts in progress, holds.
    alerts = read(engine, owner, queries.list_alerts)
    assert 10 <= len(alerts) <= 15
    assert all(alert.available < alert.minimum for alert, *_ in alerts)
    assert read(engine, owner, queries.list_transfers, "in_transit").total >= 1
    assert read(engine, owner, queries.list_transfers, "partially_received").total >= 1
    open_counts = read(engine, owner, queries.list_counts, "open").items
    assert len(open_counts) >= 2 and all(recorded > 0 for *_, recorded in open_counts)
    active = [r for r, *_ in read(engine, owner, queries.list_reservations, "active").items]
    assert len(active) >= 10 and any(r.reserved_until is not None for r in active)
    # Every kind of movement is in the ledger (asked per reason: a page holds at most 500 moves, the newest).
    for reason in ("receipt", "putaway", "write_off", "status_change", "transfer_dispatch", "transfer_receipt",
                   "count_adjustment", "shipment"):
        assert read(engine, owner, queries.movement_history, queries.MoveFilter(reason=reason), 1, 1).total, reason
    # Open purchase orders bring what is out of stock or short, expected in one to three weeks.
    ordered = read(engine, owner, purchasing_queries.list_purchase_orders, "open", per_page=100).items
    today = utcnow().date()
    assert len(ordered) >= 2 and all(today + timedelta(days=7) <= o.expected_on <= today + timedelta(days=21)
                                     for o in ordered)
    on_order = [line for o in ordered for line in read(engine, owner, purchasing_queries.purchase_order_detail,
                                                        o.id).lines]
    assert {alert.sku_id for alert, *_ in alerts} & {line.sku_id for line in on_order}
    # A few parts are sold out (their last units reserved for a trade customer) and on order: the shop shows
    # "back in stock on <date>" for them.
    sold_out = {line.sku_code for line in on_order if read(engine, owner, queries.atp_for_sku, line.sku_code).atp == 0}
    assert len(sold_out) >= 5

    _the_shop_sells(engine, owner, summary)
    assert verify_levels(engine) == []

    # Building it again changes nothing.
    with pytest.raises(Conflict):
        build_demo(engine, None)
    assert read(engine, owner, catalog_queries.search_skus, "", 1, 10).total == skus.total
    engine.dispose()


def _the_shop_sells(engine: Engine, owner: Actor, summary: list[str]) -> None:
    """Past orders in every state of their life; a German visitor is offered shipping and payment and can check
    out by card."""
    counts = read(engine, owner, order_queries.list_orders).counts
    assert {"awaiting_payment", "allocated", "picking", "packed", "shipped", "delivered", "invoiced",
            "cancelled"} <= set(counts)
    assert sum(counts.values()) >= 25 and counts["allocated"] >= 3
    assert f"{sum(counts.values())} orders" in " ".join(" ".join(summary).split())
    waves = read(engine, owner, execution_queries.list_waves).items
    assert any(w.state == "open" for w in waves) and any(w.state == "done" for w in waves)
    # The journal consumer has caught up with the sales.
    today = utcnow().date()
    assert read(engine, owner, journal_rows, today - timedelta(days=1), today)
    # Every flow posted: the trial balance since the history began balances, with stock received and sold; the month
    # before last is closed.
    start = today - timedelta(days=120)
    balance = read(engine, owner, journal.trial_balance, start, today)
    [total] = journal.trial_balance_totals(balance)
    assert total.debit == total.credit > 0 and total.closing == 0
    posted = {r.account for r in balance}
    assert {jd.INVENTORY, jd.GOODS_RECEIVED_NOT_INVOICED, jd.COGS, jd.REVENUE, jd.WRITE_OFFS} <= posted
    # The books' inventory is the stock at cost: every unit that left (our shipments and reservations consumed
    # for outside orders alike) left at cost.
    inventory = sum((r.closing for r in balance if r.account == jd.INVENTORY), Decimal(0))
    assert inventory == read(engine, owner, valuation.valuation_report, today).total_value
    closed = [p.label for p in read(engine, owner, periods.list_periods) if p.closed]
    assert closed == [pd.label(pd.previous_month(pd.previous_month(pd.month_of(today))))]

    shop = Actor(tenant_id=owner.tenant_id, user_id=None, name="storefront", permissions=STOREFRONT)
    channel_id = next(c.id for c in read(engine, owner, list_channels).items if c.code == "web")
    codes = [s["code"] for s in read(engine, owner, catalog_queries.search_skus, "", 1, 100).items]
    sku = next(code for code in codes if read(engine, owner, queries.atp_for_sku, code).atp >= 2)
    token = perform(engine, shop, carts.add_to_cart, None, channel_id, carts.AddToCart(sku=sku, quantity=2))
    address = AddressIn(name="Erika Mustermann", line1="Hafenstraße 1", city="Hamburg", postcode="20095",
                        country="DE")
    shipping = read(engine, shop, checkout.shipping_options, token, address)
    assert {o.carrier_code for o in shipping} == {"DHL", "DPD"}
    paying = {m.gateway: m for m in read(engine, shop, offered_payment_methods, channel_id)}
    assert {"test", "manual_bank_transfer"} <= set(paying)
    placed = checkout.place_order(engine, shop, token, checkout.PlaceOrder(
        idempotency_key="demo-test-checkout", email="erika@example.com", shipping_address=address,
        shipping_method_id=shipping[0].method_id, payment_method_id=paying["test"].id,
        card={"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": utcnow().year + 2, "cvc": "123",
              "holder": "E Mustermann"}))
    assert (placed.status, placed.payment_state) == ("allocated", "captured")


def _fingerprint(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for sql in (
            "SELECT s.code, p.part_number, p.name, b.code FROM skus s JOIN products p ON p.id = s.product_id "
            "JOIN barcodes b ON b.sku_id = s.id ORDER BY s.code",
            "SELECT s.code, l.path, v.status, v.lot, v.on_hand, v.reserved FROM stock_levels v "
            "JOIN skus s ON s.id = v.sku_id JOIN locations l ON l.id = v.location_id ORDER BY s.code, l.path, "
            "v.status, v.lot",
            "SELECT s.code, a.minimum, a.available, a.state FROM stock_alerts a JOIN skus s ON s.id = a.sku_id "
            "ORDER BY s.code, a.id",
        ) for row in conn.execute(text(sql))]


def test_the_demo_is_the_same_business_every_time(tmp_path: Path) -> None:
    first = _fresh_database(tmp_path / "first.db")
    second = _fresh_database(tmp_path / "second.db")
    build_demo(first, None)
    build_demo(second, None)
    assert _fingerprint(first) == _fingerprint(second)
    first.dispose()
    second.dispose()
