"""A supplier and purchase orders for the purchasing tests, made through the real services on tests.factories'
world (warehouses MAIN and NORTH, SKU-001 and SKU-002)."""

from datetime import date, timedelta
from decimal import Decimal

from stockyard.core.clock import utcnow
from stockyard.core.uow import perform
from stockyard.purchasing import services
from tests.conftest import TenantCtx


def in_days(days: int) -> date:
    return utcnow().date() + timedelta(days=days)


def supplier(ctx: TenantCtx, code: str = "BOSCH", lead_time_days: int = 10) -> int:
    return perform(ctx.engine, ctx.actor, services.create_supplier, services.CreateSupplier(
        code=code, name=f"{code} Distribution", currency="EUR", lead_time_days=lead_time_days))


def draft(ctx: TenantCtx, lines: dict[str, int], *, supplier_code: str = "BOSCH", warehouse: str = "MAIN",
          expected_on: date | None = None, cost: str = "2.50") -> services.CreatedOrder:
    return perform(ctx.engine, ctx.actor, services.create_purchase_order, services.CreatePurchaseOrder(
        supplier=supplier_code, warehouse=warehouse, expected_on=expected_on,
        lines=[services.POLineIn(sku=sku, quantity=q, unit_cost=Decimal(cost)) for sku, q in lines.items()]))


def sent(ctx: TenantCtx, lines: dict[str, int], **kw: object) -> services.CreatedOrder:
    order = draft(ctx, lines, **kw)  # type: ignore[arg-type]
    perform(ctx.engine, ctx.actor, services.send_purchase_order, order.id)
    return order
