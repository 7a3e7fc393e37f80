"""Small catalogs for the catalog admin tests, built through the real services."""

from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.uow import perform
from tests.conftest import TenantCtx
from tests.inventory.support import sku_id


def make_skus(ctx: TenantCtx, *codes: str, brand: str = "Acme", category: str = "Parts") -> dict[str, int]:
    """One product per SKU code; returns code → SKU id."""
    for code in codes:
        perform(ctx.engine, ctx.actor, create_product,
                CreateProduct(name=f"Part {code}", brand=brand, category=category, part_number=f"PN-{code}",
                              skus=[{"code": code}]))
    return {code: sku_id(ctx, code) for code in codes}
