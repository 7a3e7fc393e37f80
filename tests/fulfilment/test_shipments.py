"""Shipments: booking with the table-rate carrier (tracking number, label in the file store, reserved stock leaves
the bins), tracking events, cancelling before handover; bad input changes nothing. Both backends."""

import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.files import LocalFileStore
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.fulfilment import shipments
from stockyard.fulfilment.models import Shipment
from stockyard.fulfilment.shipments import FULFILMENT_SHIP, CreateShipment
from stockyard.inventory.models import Reservation
from stockyard.inventory.reservations import ReserveStock, reserve_stock
from stockyard.sales.models import Channel, Order, OrderLine
from tests.conftest import TenantCtx
from tests.factories import receive
from tests.fulfilment.shipping_setup import Shipping, configure
from tests.inventory.support import assert_ledger_consistent, assert_refused, events, level

BERLIN = {"name": "Ada Lovelace", "line1": "Unter den Linden 5", "postcode": "10115", "city": "Berlin",
          "country": "DE"}


@dataclass
class Scene:
    ctx: TenantCtx
    shipping: Shipping
    store: LocalFileStore
    order_id: int
    lines: dict[str, int]  # SKU code → order line id


def make_order(ctx: TenantCtx, s: Shipping, quantities: dict[str, int]) -> tuple[int, dict[str, int]]:
    with ctx.uow() as uow:
        channel = uow.execute(select(Channel).where(Channel.code == "web")).scalar()
        if channel is None:
            channel = Channel(tenant_id=ctx.tenant_id, code="web", name="Web shop", kind="storefront",
                              currency="EUR")
            uow.session.add(channel)
            uow.session.flush()
        order = Order(tenant_id=ctx.tenant_id, number=f"SO-{uuid.uuid4().hex[:8]}",
                      channel_id=channel.id, email="ada@example.com", status="allocated", currency="EUR",
                      subtotal=Decimal("70"), grand_total=Decimal("76.90"), shipping_address=BERLIN)
        uow.session.add(order)
        uow.session.flush()
        lines = {}
        for code, quantity in quantities.items():
            line = OrderLine(tenant_id=ctx.tenant_id, order_id=order.id, sku_id=s.skus[code], sku_code=code,
                             name=code, quantity=quantity, unit_price=Decimal("20"),
                             line_total=Decimal("20") * quantity)
            uow.session.add(line)
            uow.session.flush()
            lines[code] = line.id
        return order.id, lines


@pytest.fixture
def scene(tenant: TenantCtx, tmp_path: Path) -> Scene:
    s = configure(tenant)
    receive(tenant, "LIGHT", "MAIN/A/01", 10)
    receive(tenant, "BULKY", "MAIN/A/02", 5)
    order_id, lines = make_order(tenant, s, {"LIGHT": 2, "BULKY": 1})
    return Scene(tenant, s, LocalFileStore(tmp_path / "objects"), order_id, lines)


def reserve(ctx: TenantCtx, sku: str, quantity: int) -> int:
    return perform(ctx.engine, ctx.actor, reserve_stock, ReserveStock(sku=sku, quantity=quantity, warehouse="MAIN"))


def command(sc: Scene, holds: dict[str, int], **changes: object) -> CreateShipment:
    quantities = {"LIGHT": 2, "BULKY": 1}
    values: dict[str, object] = {
        "order_id": sc.order_id, "warehouse_id": sc.shipping.world.main, "method_id": sc.shipping.standard,
        "destination": BERLIN,
        "lines": [{"order_line_id": sc.lines[code], "sku_id": sc.shipping.skus[code], "quantity": quantities[code],
                   "reservation_id": hold} for code, hold in holds.items()]}
    values.update(changes)
    return CreateShipment.model_validate(values)


def ship(sc: Scene, actor: Actor | None = None, **changes: object) -> int:
    holds = {"LIGHT": reserve(sc.ctx, "LIGHT", 2), "BULKY": reserve(sc.ctx, "BULKY", 1)}
    return perform(sc.ctx.engine, actor or sc.ctx.actor, shipments.create_shipment, command(sc, holds, **changes),
                   sc.store)


def shipment(sc: Scene, shipment_id: int) -> Shipment:
    with UnitOfWork(sc.ctx.engine, sc.ctx.actor, readonly=True) as uow:
        return uow.execute(select(Shipment).where(Shipment.id == shipment_id)).scalar_one()


def test_shipping_books_a_label_and_takes_the_stock(scene: Scene) -> None:
    shipment_id = ship(scene)
    row = shipment(scene, shipment_id)
    assert (row.status, row.carrier_code, row.tracking_number) == ("shipped", "dhl", "DHL0000000001")
    # 2 × LIGHT + BULKY: 2,400 g actual, 2,600 g dimensional → band 2,000–5,000 g; order 60.00 < 100.00
    assert (row.cost, row.currency, row.weight_g) == (Decimal("6.9000"), "EUR", 2400)
    assert row.shipped_at is not None and row.delivered_at is None
    pdf = scene.store.get(row.label_key)
    assert pdf.startswith(b"%PDF")
    assert level(scene.ctx, "LIGHT", "MAIN/A/01") == (8, 0)
    assert level(scene.ctx, "BULKY", "MAIN/A/02") == (4, 0)
    with scene.ctx.uow() as uow:
        states = set(uow.execute(select(Reservation.state)).scalars())
    assert states == {"consumed"}
    [created] = events(scene.ctx, "shipment.created.v1")
    assert created["shipment_id"] == shipment_id and created["tracking_number"] == "DHL0000000001"
    assert [e.status for e in read(scene.ctx.engine, scene.ctx.actor, shipments.tracking, shipment_id)] == \
        ["label_created"]
    label = read(scene.ctx.engine, scene.ctx.actor, shipments.shipment_label, shipment_id, scene.store)
    assert label.data == pdf and label.filename == "label-DHL0000000001.pdf"
    stranger = Actor(tenant_id=scene.ctx.tenant_id, user_id=None, name="buyer", permissions=frozenset({"catalog.view"}))
    with pytest.raises(PermissionDenied):
        read(scene.ctx.engine, stranger, shipments.shipment_label, shipment_id, scene.store)
    assert_ledger_consistent(scene.ctx)


def test_tracking_numbers_are_a_sequence_per_tenant_and_carrier(scene: Scene) -> None:
    first = ship(scene)
    order_id, lines = make_order(scene.ctx, scene.shipping, {"LIGHT": 2, "BULKY": 1})
    second_scene = Scene(scene.ctx, scene.shipping, scene.store, order_id, lines)
    second = ship(second_scene)
    assert [shipment(scene, i).tracking_number for i in (first, second)] == ["DHL0000000001", "DHL0000000002"]


def test_tracking_to_delivery(scene: Scene) -> None:
    shipment_id = ship(scene)
    engine, actor = scene.ctx.engine, scene.ctx.actor
    perform(engine, actor, shipments.record_tracking_event, shipment_id, "in_transit", "picked up by driver")
    perform(engine, actor, shipments.record_tracking_event, shipment_id, "out_for_delivery")
    perform(engine, actor, shipments.record_tracking_event, shipment_id, "delivered", "left with neighbour")
    row = shipment(scene, shipment_id)
    assert row.status == "delivered" and row.delivered_at is not None
    trail = read(engine, actor, shipments.tracking, shipment_id)
    assert [(e.status, e.note) for e in trail] == [
        ("label_created", "DHL DHL0000000001"), ("in_transit", "picked up by driver"), ("out_for_delivery", ""),
        ("delivered", "left with neighbour")]
    [delivered] = events(scene.ctx, "shipment.delivered.v1")
    assert delivered["order_id"] == scene.order_id
    assert_refused(scene.ctx, Conflict, "status", shipments.record_tracking_event, shipment_id, "exception")
    assert_refused(scene.ctx, Conflict, "shipment_id", shipments.cancel_shipment, shipment_id)


def test_cancelling_before_handover_puts_the_stock_back(scene: Scene) -> None:
    shipment_id = ship(scene)
    perform(scene.ctx.engine, scene.ctx.actor, shipments.cancel_shipment, shipment_id, "customer changed mind")
    row = shipment(scene, shipment_id)
    assert row.status == "cancelled" and row.cancelled_at is not None
    assert level(scene.ctx, "LIGHT", "MAIN/A/01") == (10, 0)
    assert level(scene.ctx, "BULKY", "MAIN/A/02") == (5, 0)
    [cancelled] = events(scene.ctx, "shipment.cancelled.v1")
    assert sorted(line["quantity"] for line in cancelled["lines"]) == [1, 2]
    assert_ledger_consistent(scene.ctx)
    assert_refused(scene.ctx, Conflict, "status", shipments.record_tracking_event, shipment_id, "in_transit")


def test_after_handover_a_shipment_cannot_be_cancelled(scene: Scene) -> None:
    shipment_id = ship(scene)
    perform(scene.ctx.engine, scene.ctx.actor, shipments.record_tracking_event, shipment_id, "in_transit")
    assert_refused(scene.ctx, Conflict, "shipment_id", shipments.cancel_shipment, shipment_id)


def test_bad_input_changes_nothing(scene: Scene) -> None:
    light, bulky = reserve(scene.ctx, "LIGHT", 2), reserve(scene.ctx, "BULKY", 1)
    swapped = command(scene, {"LIGHT": bulky, "BULKY": light})
    assert_refused(scene.ctx, ValidationFailed, "lines[0].reservation_id", shipments.create_shipment, swapped,
                   scene.store)
    assert_refused(scene.ctx, NotFound, "order_id", shipments.create_shipment,
                   command(scene, {"LIGHT": light, "BULKY": bulky}, order_id=scene.order_id + 999), scene.store)
    assert_refused(scene.ctx, ValidationFailed, "shipping_address", shipments.create_shipment,
                   command(scene, {"LIGHT": light, "BULKY": bulky},
                           destination=BERLIN | {"country": "FR", "postcode": "75001"}), scene.store)
    assert_refused(scene.ctx, Conflict, "method_id", shipments.create_shipment,
                   command(scene, {"LIGHT": light, "BULKY": bulky}, method_id=scene.shipping.swiss), scene.store)
    nobody = Actor(tenant_id=scene.ctx.tenant_id, user_id=None, name="clerk", permissions=frozenset({"orders.view"}))
    assert_refused(scene.ctx, PermissionDenied, "permission", shipments.create_shipment,
                   command(scene, {"LIGHT": light, "BULKY": bulky}), scene.store, actor=nobody)
    shipper = Actor(tenant_id=scene.ctx.tenant_id, user_id=None, name="shipper",
                    permissions=frozenset({FULFILMENT_SHIP, "inventory.reserve", "inventory.move"}),
                    warehouse_ids=frozenset({scene.shipping.world.north}))
    assert_refused(scene.ctx, PermissionDenied, "warehouse", shipments.create_shipment,
                   command(scene, {"LIGHT": light, "BULKY": bulky}), scene.store, actor=shipper)
    # more than the order line has left to ship
    line = {"order_line_id": scene.lines["LIGHT"], "sku_id": scene.shipping.skus["LIGHT"], "quantity": 3,
            "reservation_id": reserve(scene.ctx, "LIGHT", 3)}
    assert_refused(scene.ctx, Conflict, "lines[0].quantity", shipments.create_shipment,
                   command(scene, {}, lines=[line]), scene.store)
