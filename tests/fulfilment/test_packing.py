"""Packing and shipping: scan picked units into parcels (an item twice or one not in the order is refused), close
parcels with weight and dimensions, rates for the parcels, ship a packed order (an unpacked one is refused): stock
leaves through ledger moves, the order is shipped, the customer is told the tracking number and sees it in the
order history. Both backends."""

from pathlib import Path

from sqlalchemy import select

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, ValidationFailed
from stockyard.core.mail import stored_mail
from stockyard.core.settings import Settings
from stockyard.core.uow import perform, read
from stockyard.fulfilment import packing
from stockyard.fulfilment.execution_models import Parcel
from stockyard.fulfilment.models import Shipment
from stockyard.identity.domain import STOREFRONT
from stockyard.inventory.models import StockMove
from stockyard.sales.customer_queries import customer_order
from tests.conftest import TenantCtx
from tests.factories import receive
from tests.fulfilment.execution_scene import BARCODES, build_scene
from tests.inventory.support import assert_ledger_consistent, assert_refused, level
from tests.sales.order_fixtures import detail


def pack_cmd(order_id: int, sku: str, quantity: int = 1, parcel_no: int = 1) -> packing.PackItem:
    return packing.PackItem(order_id=order_id, parcel_no=parcel_no, scanned_barcode=BARCODES[sku],
                            quantity=quantity)


def test_packing_refuses_items_twice_items_not_in_the_order_and_unpicked_items(tenant: TenantCtx) -> None:
    sc = build_scene(tenant)
    order_id = sc.order({"SKU-001": 2, "SKU-002": 1})
    sc.wave()
    assert_refused(tenant, Conflict, "scanned_barcode", packing.pack_item, pack_cmd(order_id, "SKU-001"))
    sc.pick_all(order_id)
    err = assert_refused(tenant, ValidationFailed, "scanned_barcode", packing.pack_item,
                         pack_cmd(order_id, "SKU-003"))
    assert "is not in order" in str(err)
    sc.pack(order_id, "SKU-001", 2)
    err = assert_refused(tenant, Conflict, "scanned_barcode", packing.pack_item, pack_cmd(order_id, "SKU-001"))
    assert "packed already" in str(err)
    assert_refused(tenant, Conflict, "quantity", packing.pack_item, pack_cmd(order_id, "SKU-002", 2))
    # the order is packed only once everything picked is in closed parcels
    assert sc.close(order_id) == "picking"
    assert_refused(tenant, Conflict, "parcel_no", packing.pack_item, pack_cmd(order_id, "SKU-002"))
    sc.pack(order_id, "SKU-002", parcel_no=2)
    assert sc.close(order_id, parcel_no=2) == "packed"


def test_shipping_an_unpacked_order_is_refused(tenant: TenantCtx) -> None:
    sc = build_scene(tenant)
    order_id = sc.order({"SKU-001": 1})
    err = assert_refused(tenant, Conflict, "order_id", packing.ship_packed_order,
                         packing.ShipPacked(order_id=order_id))
    assert "not packed" in str(err)
    sc.wave()
    sc.pick_all(order_id)
    assert_refused(tenant, Conflict, "order_id", packing.ship_packed_order, packing.ShipPacked(order_id=order_id))


def test_the_full_flow_from_allocated_to_shipped(tenant: TenantCtx, tmp_path: Path) -> None:
    sc = build_scene(tenant)
    order_id = sc.order({"SKU-001": 2, "SKU-002": 1})
    assert detail(sc.shop, order_id).status == "allocated"
    sc.wave()
    assert detail(sc.shop, order_id).status == "picking"
    sc.pick_all(order_id)
    sc.pack(order_id, "SKU-001")
    sc.pack(order_id, "SKU-001")
    sc.pack(order_id, "SKU-002")
    assert sc.close(order_id, weight=1500) == "packed"
    rates = read(tenant.engine, tenant.actor, packing.parcel_rates, order_id)
    assert [(r.code, str(r.cost)) for r in rates] == [("DHL-STD", "4.90")]
    ids = perform(tenant.engine, tenant.actor, packing.ship_packed_order,
                  packing.ShipPacked(order_id=order_id, method_id=rates[0].method_id))
    assert len(ids) == 1
    order = detail(sc.shop, order_id)
    assert order.status == "shipped"
    [shipment] = order.shipments
    assert shipment.tracking_number and shipment.tracking_number in shipment.tracking_url
    # the units left the bin for the customer through the ledger
    assert level(tenant, "SKU-001", "MAIN/A/01") == (3, 0)
    assert level(tenant, "SKU-002", "MAIN/A/01") == (2, 0)
    m = StockMove.__table__
    with tenant.uow() as uow:
        reasons = list(uow.conn.execute(select(m.c.reason, m.c.quantity).where(
            m.c.tenant_id == tenant.tenant_id, m.c.document_type == "shipment").order_by(m.c.id)))
        parcel = uow.conn.execute(select(Parcel.__table__.c.state, Parcel.__table__.c.shipment_id).where(
            Parcel.__table__.c.order_id == order_id)).one()
    assert sorted(reasons) == [("shipment", 1), ("shipment", 2)]
    assert tuple(parcel) == ("shipped", ids[0])
    with tenant.uow() as uow:  # the label and the shipment carry what the pack station weighed, not the SKU sum
        weighed = uow.conn.execute(select(Shipment.__table__.c.weight_g).where(
            Shipment.__table__.c.id == ids[0])).scalar_one()
    assert weighed == 1500
    assert_ledger_consistent(tenant)
    # the customer is told, and sees the tracking number in the order history
    settings = Settings(secret_key="test", var_dir=tmp_path)
    packing.send_shipment_notice(settings, tenant.engine, tenant.actor, order_id)
    [mail] = stored_mail(tmp_path / "mail", tenant.tenant_id)
    assert mail.to == "buyer@example.com" and shipment.tracking_number in mail.body
    buyer = Actor(tenant_id=tenant.tenant_id, user_id=None, name="shop", permissions=STOREFRONT)
    seen = read(tenant.engine, buyer, customer_order, order.number, customer_id=None, guest_numbers=[order.number])
    assert seen.status == "shipped"
    assert [s.tracking_number for s in seen.shipments] == [shipment.tracking_number]


def test_an_order_split_over_two_warehouses_ships_from_each_through_its_own_wave(tenant: TenantCtx) -> None:
    sc = build_scene(tenant)
    receive(tenant, "SKU-001", "NORTH/B/01", 2)
    order_id = sc.order({"SKU-001": 7})  # 5 from MAIN, 2 from NORTH
    sc.wave()
    sc.pick_all(order_id)
    sc.pack(order_id, "SKU-001", 5)
    assert sc.close(order_id) == "packed"
    perform(tenant.engine, tenant.actor, packing.ship_packed_order, packing.ShipPacked(order_id=order_id))
    assert detail(sc.shop, order_id).status == "partially_shipped"
    sc.wave(warehouse_id="NORTH")
    assert detail(sc.shop, order_id).status == "picking"
    plist = sc.pick_all(order_id)
    assert plist.warehouse == "NORTH"
    sc.pack(order_id, "SKU-001", 2, parcel_no=2)
    assert sc.close(order_id, parcel_no=2) == "packed"
    perform(tenant.engine, tenant.actor, packing.ship_packed_order, packing.ShipPacked(order_id=order_id))
    order = detail(sc.shop, order_id)
    assert order.status == "shipped" and len(order.shipments) == 2
    assert_ledger_consistent(tenant)
