"""Receiving on both backends: against an ASN or the order, by line or by scanned SKU, into the warehouse's receiving
location by default; over-receipt within the supplier's tolerance accepted and recorded, beyond it refused with
nothing changed; blind receipts at the given or the supplier's cost; putaway suggestions and putaway."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from stockyard.core.errors import Conflict, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.inventory import warehouses
from stockyard.inventory.models import StockMove
from stockyard.purchasing import putaway, queries, receiving, services, suppliers
from stockyard.purchasing.models import GoodsReceipt, GoodsReceiptLine
from tests.conftest import TenantCtx
from tests.factories import World, build_world, receive
from tests.inventory.support import level, tenant_rows
from tests.purchasing.support import in_days, sent, supplier


@pytest.fixture
def world(tenant: TenantCtx) -> World:
    built = build_world(tenant)
    perform(tenant.engine, tenant.actor, warehouses.create_location, warehouses.CreateLocation(
        warehouse="MAIN", code="R", kind="bin", type="receiving"))
    # a receiving zone sorts before MAIN/R, but goods go to a receiving bin when there is one
    perform(tenant.engine, tenant.actor, warehouses.create_location, warehouses.CreateLocation(
        warehouse="MAIN", code="IN", kind="zone", type="receiving"))
    supplier(tenant)
    perform(tenant.engine, tenant.actor, suppliers.update_supplier, "BOSCH", suppliers.UpdateSupplier(
        name="Bosch", currency="EUR", lead_time_days=10, over_receipt_tolerance_pct=Decimal("10")))
    return built


def _line(ctx: TenantCtx, order_id: int) -> int:
    return read(ctx.engine, ctx.actor, queries.purchase_order_detail, order_id).lines[0].id


def test_an_asn_is_received_as_announced_into_the_receiving_location(world: World) -> None:
    ctx = world.ctx
    order = sent(ctx, {"SKU-001": 10, "SKU-002": 4})
    asn = perform(ctx.engine, ctx.actor, receiving.create_asn, order.id, receiving.CreateAsn(
        expected_on=in_days(2), carrier="DHL", tracking="JD0001", lines=[receiving.AnnouncedLine(sku="SKU-001",
                                                                                                 quantity=6)]))
    view = read(ctx.engine, ctx.actor, queries.purchase_order_detail, order.id)
    # announced in part: the line keeps the order's date (the notice does not say when the rest comes)
    assert [line.expected_on for line in view.lines] == [in_days(10), in_days(10)]
    receipt = perform(ctx.engine, ctx.actor, receiving.receive_asn, asn, receiving.ReceiveAsn())
    assert receipt.state == "partially_received" and receipt.number.startswith("GR-")
    assert level(ctx, "SKU-001", "MAIN/R")[0] == 6
    view = read(ctx.engine, ctx.actor, queries.purchase_order_detail, order.id)
    assert [(line.sku_code, line.received) for line in view.lines] == [("SKU-001", 6), ("SKU-002", 0)]
    page = read(ctx.engine, ctx.actor, queries.purchase_order_page, order.id)
    assert [(a.carrier, a.tracking, a.state) for a in page.asns] == [("DHL", "JD0001", "received")]
    assert [(r.number, r.units) for r in page.receipts] == [(receipt.number, 6)]
    with pytest.raises(Conflict, match="a shipping notice that is received cannot be received"):
        perform(ctx.engine, ctx.actor, receiving.receive_asn, asn, receiving.ReceiveAsn())
    second = perform(ctx.engine, ctx.actor, receiving.create_asn, order.id, receiving.CreateAsn(
        expected_on=in_days(3), lines=[receiving.AnnouncedLine(sku="SKU-001", quantity=4)]))
    # the rest of SKU-001 is announced in full: it is now expected on the notice's date
    view = read(ctx.engine, ctx.actor, queries.purchase_order_detail, order.id)
    assert [line.expected_on for line in view.lines] == [in_days(3), in_days(10)]
    assert read(ctx.engine, ctx.actor, queries.earliest_inbound, {view.lines[0].sku_id: 4}) == {
        view.lines[0].sku_id: in_days(3)}
    with pytest.raises(ValidationFailed, match="not on the shipping notice"):
        perform(ctx.engine, ctx.actor, receiving.receive_asn, second, receiving.ReceiveAsn(
            lines=[services.ReceivedLine(sku="SKU-002", quantity=1)]))


def test_over_receipt_within_the_tolerance_is_accepted_and_recorded_beyond_it_refused(world: World) -> None:
    ctx = world.ctx
    order = sent(ctx, {"SKU-001": 20})
    before = tenant_rows(ctx)
    with pytest.raises(ValidationFailed, match=r"only 22 more are accepted: 20 ordered, 0 received and the "
                                               r"supplier's over-receipt tolerance of 10%") as error:
        perform(ctx.engine, ctx.actor, services.receive_purchase_order_lines, order.id, services.ReceivePurchaseOrder(
            lines=[services.ReceivedLine(sku="SKU-001", quantity=23)]))
    assert error.value.field == "lines[0].quantity"
    assert tenant_rows(ctx) == before
    receipt = perform(ctx.engine, ctx.actor, services.receive_purchase_order_lines, order.id,
                      services.ReceivePurchaseOrder(lines=[services.ReceivedLine(sku="SKU-001", quantity=22)]))
    assert receipt.state == "received" and receipt.over_received == 2
    assert level(ctx, "SKU-001", "MAIN/R")[0] == 22
    with ctx.uow() as uow:
        line = uow.execute(select(GoodsReceiptLine)).scalar_one()
        costs = set(uow.execute(select(StockMove.unit_cost).where(StockMove.document_id == order.number)).scalars())
    assert (line.quantity, line.over_received, line.unit_cost) == (22, 2, Decimal("2.5"))
    assert costs == {Decimal("2.5")}  # the order's cost


def test_a_blind_receipt_takes_the_suppliers_price_when_no_cost_is_given(world: World) -> None:
    ctx = world.ctx
    perform(ctx.engine, ctx.actor, suppliers.set_supplier_sku, "BOSCH", suppliers.SetSupplierSku(
        sku="SKU-002", unit_cost=Decimal("4.20"), pack_size=6, min_order_qty=12, preferred=True))
    receipt = perform(ctx.engine, ctx.actor, receiving.receive_blind, receiving.BlindReceipt(
        warehouse="MAIN", supplier="BOSCH", lines=[receiving.BlindLine(sku="SKU-002", quantity=3),
                                                   receiving.BlindLine(sku="SKU-001", quantity=1,
                                                                       unit_cost=Decimal("1.10"))]))
    assert receipt.state == "blind"
    assert level(ctx, "SKU-002", "MAIN/R")[0] == 3
    with ctx.uow() as uow:
        moves = uow.execute(select(StockMove.quantity, StockMove.unit_cost, StockMove.document_id)
                            .order_by(StockMove.id)).all()
        head = uow.execute(select(GoodsReceipt)).scalar_one()
    assert [tuple(m) for m in moves] == [(3, Decimal("4.2"), receipt.number), (1, Decimal("1.1"), receipt.number)]
    assert (head.kind, head.purchase_order_id) == ("blind", None)
    # NORTH has no receiving location: without a location given, a clear error naming the field
    with pytest.raises(ValidationFailed, match="no receiving location") as error:
        perform(ctx.engine, ctx.actor, receiving.receive_blind, receiving.BlindReceipt(
            warehouse="NORTH", lines=[receiving.BlindLine(sku="SKU-001", quantity=1)]))
    assert error.value.field == "location"


def test_putaway_suggests_the_bin_of_the_sku_then_the_category_zone_and_moves_there(world: World) -> None:
    ctx = world.ctx
    e, a = ctx.engine, ctx.actor
    receive(ctx, "SKU-001", "MAIN/A/02", 5)
    receive(ctx, "SKU-002", "MAIN/R", 8)
    receive(ctx, "SKU-001", "MAIN/R", 4)
    perform(e, a, warehouses.set_location_capacity, "MAIN/A/01", 6)
    with ctx.uow() as uow:
        from stockyard.catalog.models import Category, Sku

        category = uow.execute(select(Category.id).where(Category.name == "Parts")).scalar_one()
        sku1, sku2 = uow.execute(select(Sku.id).order_by(Sku.code)).scalars().all()[:2]
    perform(e, a, putaway.set_putaway_rule, putaway.SetPutawayRule(warehouse="MAIN", category_id=category,
                                                                    location="MAIN/A"))
    first = read(e, a, putaway.suggest_putaway, world.main, sku1, 4)
    assert first[0].path == "MAIN/A/02" and first[0].sku_on_hand == 5
    second = read(e, a, putaway.suggest_putaway, world.main, sku2, 8)
    assert [s.path for s in second][:1] == ["MAIN/A/02"]  # A/01 holds 6 at most: no room for 8
    assert "MAIN/A/01" not in [s.path for s in second]
    done = perform(e, a, putaway.put_away, putaway.PutAway(sku="SKU-001", quantity=4, from_location="MAIN/R"))
    assert done.to_path == "MAIN/A/02" and level(ctx, "SKU-001", "MAIN/A/02")[0] == 9
    with pytest.raises(ValidationFailed, match="MAIN/A/01 holds at most 6; 0 there, room for 6"):
        perform(e, a, putaway.put_away, putaway.PutAway(sku="SKU-002", quantity=8, from_location="MAIN/R",
                                                        to_location="MAIN/A/01"))
    with ctx.uow() as uow:
        reason = uow.execute(select(StockMove.reason).order_by(StockMove.id.desc())).scalars().first()
    assert reason == "putaway"
