"""Build small warehouses and catalogs for tests through the real services."""

from dataclasses import dataclass, field

from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.uow import perform
from stockyard.inventory import movements, warehouses
from tests.conftest import TenantCtx


@dataclass
class World:
    """Two warehouses: MAIN with zone A holding bins A/01, A/02 (and a quarantine bin Q/01); NORTH with bin B/01."""

    ctx: TenantCtx
    skus: list[str] = field(default_factory=list)
    main: int = 0
    north: int = 0


def build_world(ctx: TenantCtx, skus: int = 2, tracking: str = "none") -> World:
    world = World(ctx)
    a = ctx.actor
    e = ctx.engine
    world.main = perform(e, a, warehouses.create_warehouse, warehouses.CreateWarehouse(code="MAIN", name="Main"))
    world.north = perform(e, a, warehouses.create_warehouse,
                          warehouses.CreateWarehouse(code="NORTH", name="North", priority=200))
    for wh, parent, code, kind, typ in [
        ("MAIN", None, "A", "zone", "storage"),
        ("MAIN", "MAIN/A", "01", "bin", "storage"),
        ("MAIN", "MAIN/A", "02", "bin", "storage"),
        ("MAIN", None, "Q", "zone", "quarantine"),
        ("MAIN", "MAIN/Q", "01", "bin", "quarantine"),
        ("NORTH", None, "B", "zone", "storage"),
        ("NORTH", "NORTH/B", "01", "bin", "storage"),
    ]:
        perform(e, a, warehouses.create_location,
                warehouses.CreateLocation(warehouse=wh, parent=parent, code=code, kind=kind, type=typ))
    for i in range(skus):
        code = f"SKU-{i + 1:03d}"
        perform(e, a, create_product, CreateProduct(name=f"Part {i + 1}", brand="Acme", category="Parts",
                                                    skus=[{"code": code, "tracking": tracking}]))
        world.skus.append(code)
    return world


def receive(ctx: TenantCtx, sku: str, location: str, quantity: int, **kw: object) -> int:
    return perform(ctx.engine, ctx.actor, movements.receive_stock,
                   movements.ReceiveStock(sku=sku, location=location, quantity=quantity, **kw))
