"""Minimum-stock rules and the shortage alerts they raise when available stock crosses below them."""

from sqlalchemy import func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from stockyard.core.clock import utcnow
from stockyard.core.errors import ValidationFailed
from stockyard.core.outbox import add_events
from stockyard.core.uow import UnitOfWork
from stockyard.identity.domain import INVENTORY_CONFIGURE
from stockyard.inventory.domain import Status, shortage_transition
from stockyard.inventory.models import MinStockRule, StockAlert, StockLevel
from stockyard.inventory.refs import resolve_sku, resolve_warehouse


def set_min_stock_rule(
    uow: UnitOfWork, *, sku: int | str, warehouse: int | str, minimum: int, safety_stock: int = 0
) -> int:
    """Create or change the rule for one SKU in one warehouse, then evaluate it at once."""
    uow.require(INVENTORY_CONFIGURE)
    if minimum < 0:
        raise ValidationFailed("must be zero or more", field="minimum")
    if safety_stock < 0:
        raise ValidationFailed("must be zero or more", field="safety_stock")
    sku_ref = resolve_sku(uow, sku)
    warehouse_id = resolve_warehouse(uow, warehouse)
    t = MinStockRule.__table__
    dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
    stmt = dialect_insert(t).values(
        tenant_id=uow.tenant_id,
        sku_id=sku_ref.id,
        warehouse_id=warehouse_id,
        minimum=minimum,
        safety_stock=safety_stock,
        created_at=utcnow(),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.tenant_id, t.c.sku_id, t.c.warehouse_id],
        set_={"minimum": minimum, "safety_stock": safety_stock},
    ).returning(t.c.id)
    rule_id = uow.conn.execute(stmt).scalar_one()
    add_events(uow, [("min_stock_rule.set.v1", {"rule_id": rule_id, "sku_id": sku_ref.id, "warehouse_id": warehouse_id,
                                                "minimum": minimum, "safety_stock": safety_stock})])
    check_min_stock(uow, [(sku_ref.id, warehouse_id)])
    return rule_id


def check_min_stock(uow: UnitOfWork, pairs: list[tuple[int, int | None]]) -> None:
    """Open or resolve shortage alerts for (sku, warehouse) pairs that have a rule. One read when none do."""
    pairs = [(s, w) for s, w in pairs if w is not None]
    if not pairs:
        return
    rules = MinStockRule.__table__
    levels = StockLevel.__table__
    alerts = StockAlert.__table__
    available = (
        select(func.coalesce(func.sum(levels.c.on_hand - levels.c.reserved), 0))
        .where(
            levels.c.tenant_id == rules.c.tenant_id,
            levels.c.sku_id == rules.c.sku_id,
            levels.c.warehouse_id == rules.c.warehouse_id,
            levels.c.status == Status.SELLABLE.value,
        )
        .scalar_subquery()
    )
    open_alert = (
        select(alerts.c.id)
        .where(
            alerts.c.tenant_id == rules.c.tenant_id,
            alerts.c.sku_id == rules.c.sku_id,
            alerts.c.warehouse_id == rules.c.warehouse_id,
            alerts.c.state == "open",
        )
        .limit(1)
        .scalar_subquery()
    )
    rows = uow.conn.execute(
        select(rules.c.sku_id, rules.c.warehouse_id, rules.c.minimum, available.label("available"),
               open_alert.label("alert_id"))
        .where(rules.c.tenant_id == uow.tenant_id, tuple_(rules.c.sku_id, rules.c.warehouse_id).in_(pairs))
    ).all()
    events = []
    now = utcnow()
    for row in rows:
        change = shortage_transition(row.available, row.minimum, row.alert_id is not None)
        payload = {
            "sku_id": row.sku_id,
            "warehouse_id": row.warehouse_id,
            "available": int(row.available),
            "minimum": row.minimum,
        }
        if change == "open":
            uow.conn.execute(
                insert(alerts).values(
                    tenant_id=uow.tenant_id,
                    sku_id=row.sku_id,
                    warehouse_id=row.warehouse_id,
                    available=int(row.available),
                    minimum=row.minimum,
                    created_at=now,
                )
            )
            events.append(("stock.shortage.v1", payload))
        elif change == "resolve":
            uow.conn.execute(
                update(alerts).where(alerts.c.id == row.alert_id).values(state="resolved", resolved_at=now)
            )
            events.append(("stock.shortage_resolved.v1", payload))
    add_events(uow, events)
