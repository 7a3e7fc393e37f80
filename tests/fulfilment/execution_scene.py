"""A shop with orders ready to pick, for the wave, picking and packing tests: tests/sales/shop_setup.build_shop
(SKU-001 and SKU-002 in MAIN/A/01) with a pick location MAIN/P/01, more bins, SKU barcodes and helpers that walk an
order through the services."""

from dataclasses import dataclass

from sqlalchemy import insert, select

from stockyard.catalog.models import Barcode, Sku
from stockyard.core.uow import perform, read
from stockyard.fulfilment import packing, picking, waves
from stockyard.inventory import warehouses
from tests.conftest import TenantCtx
from tests.sales.order_fixtures import checkout_order
from tests.sales.shop_setup import Shop, build_shop

BARCODES = {"SKU-001": "4006381333931", "SKU-002": "4006381333948", "SKU-003": "4006381333955"}


@dataclass
class Scene:
    shop: Shop

    @property
    def ctx(self) -> TenantCtx:
        return self.shop.ctx

    def order(self, lines: dict[str, int]) -> int:
        return checkout_order(self.shop, lines).order_id

    def wave(self, **kw: object) -> int:
        return perform(self.ctx.engine, self.ctx.actor, waves.create_pick_wave,
                       waves.CreateWave(**{"warehouse_id": "MAIN", **kw}))

    def list_for(self, order_id: int) -> picking.PickListView:
        from stockyard.fulfilment.execution_models import PickList

        with self.ctx.uow() as uow:
            list_id = uow.conn.execute(select(PickList.__table__.c.id).where(
                PickList.__table__.c.order_id == order_id, PickList.__table__.c.state != "cancelled")
                .order_by(PickList.__table__.c.id.desc())).scalars().first()
        return read(self.ctx.engine, self.ctx.actor, picking.pick_list, list_id)

    def pick_all(self, order_id: int) -> picking.PickListView:
        plist = self.list_for(order_id)
        while plist.next_line is not None:
            line = plist.next_line
            perform(self.ctx.engine, self.ctx.actor, picking.confirm_pick, picking.ConfirmPick(
                pick_list_id=plist.id, line_id=line.id, location_code=line.location, scanned_barcode=line.sku,
                quantity=line.remaining))
            plist = self.list_for(order_id)
        return plist

    def pack(self, order_id: int, sku: str, quantity: int = 1, parcel_no: int = 1) -> packing.PackResult:
        return perform(self.ctx.engine, self.ctx.actor, packing.pack_item, packing.PackItem(
            order_id=order_id, parcel_no=parcel_no, scanned_barcode=BARCODES[sku], quantity=quantity))

    def close(self, order_id: int, parcel_no: int = 1, weight: int = 1200) -> str:
        return perform(self.ctx.engine, self.ctx.actor, packing.close_parcel, packing.CloseParcel(
            order_id=order_id, parcel_no=parcel_no, weight_grams=weight, length_mm=300, width_mm=200, height_mm=100))


def build_scene(ctx: TenantCtx, stock: dict[str, int] | None = None) -> Scene:
    shop = build_shop(ctx, stock=stock)
    e, a = ctx.engine, ctx.actor
    for parent, code, kind, typ in [(None, "P", "zone", "picking"), ("MAIN/P", "01", "bin", "picking"),
                                    ("MAIN/A", "03", "bin", "storage")]:
        perform(e, a, warehouses.create_location,
                warehouses.CreateLocation(warehouse="MAIN", parent=parent, code=code, kind=kind, type=typ))
    with ctx.uow() as uow:
        s = Sku.__table__
        ids = dict(uow.conn.execute(select(s.c.code, s.c.id).where(s.c.tenant_id == ctx.tenant_id)).all())
        uow.conn.execute(insert(Barcode.__table__), [
            {"tenant_id": ctx.tenant_id, "sku_id": ids[code], "code": barcode, "kind": "ean13"}
            for code, barcode in BARCODES.items() if code in ids])
    return Scene(shop)
