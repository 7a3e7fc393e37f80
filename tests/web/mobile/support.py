"""A warehouse floor for the mobile tests, built through the real services: tests.factories' world (MAIN with bins
A/01, A/02 and Q/01, NORTH with B/01; SKU-001 to SKU-003) plus a receiving dock MAIN/DOCK, a barcode on SKU-001,
and a sent purchase order of 5 × SKU-001 and 2 × SKU-002 from BOSCH for MAIN."""

from dataclasses import dataclass

from stockyard.catalog import services as catalog
from stockyard.core.uow import perform
from stockyard.inventory import warehouses
from tests.conftest import TenantCtx
from tests.factories import World, build_world
from tests.purchasing.support import sent, supplier

EAN = "4006381333931"


@dataclass
class Floor:
    world: World
    po_id: int
    po_number: str


def build_floor(ctx: TenantCtx) -> Floor:
    world = build_world(ctx, skus=3)
    perform(ctx.engine, ctx.actor, warehouses.create_location,
            warehouses.CreateLocation(warehouse="MAIN", code="DOCK", kind="bin", type="receiving"))
    perform(ctx.engine, ctx.actor, catalog.add_barcode, sku="SKU-001", code=EAN, kind="ean13")
    supplier(ctx)
    order = sent(ctx, {"SKU-001": 5, "SKU-002": 2})
    return Floor(world, order.id, order.number)
