"""Valuation and landed costs through the services on both backends: the journal's COGS follow the tenant's method,
the inventory account from the postings equals the valuation report's total, a landed cost revalues what is still on
hand and sends the sold part to COGS, and bad input changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from stockyard.billing import journal, landed_cost, valuation
from stockyard.billing import journal_domain as jd
from stockyard.billing.landed_cost_models import LandedCost
from stockyard.catalog.models import Sku
from stockyard.core.actor import Actor
from stockyard.core.audit import AuditEntry
from stockyard.core.clock import utcnow
from stockyard.core.errors import PermissionDenied, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.identity.domain import ACCOUNTING_VIEW
from stockyard.integration.dispatch import drain
from stockyard.inventory.models import StockMove
from stockyard.inventory.movements import WriteOffStock, write_off_stock
from stockyard.purchasing.receiving import BlindLine, BlindReceipt, receive_blind
from tests.conftest import TenantCtx
from tests.factories import build_world
from tests.factories import receive as receive_stock
from tests.returns.support import delivered_order
from tests.sales.shop_setup import Shop, build_shop

D = Decimal


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant, stock={"SKU-001": 10, "SKU-002": 10})  # at 4.00 each, in MAIN


def receive(shop: Shop, sku: str, quantity: int, cost: str) -> str:
    receipt = perform(shop.ctx.engine, shop.ctx.actor, receive_blind, BlindReceipt(
        warehouse="MAIN", location="MAIN/A/01", lines=[BlindLine(sku=sku, quantity=quantity, unit_cost=D(cost))]))
    return str(receipt.number)


def set_method(ctx: TenantCtx, method: str) -> None:
    perform(ctx.engine, ctx.actor, valuation.set_method, valuation.SetMethod(method=method))


def apply(ctx: TenantCtx, **fields: object) -> int:
    cmd = {"kind": "freight", "currency": "EUR", "basis": "quantity", **fields}
    return perform(ctx.engine, ctx.actor, landed_cost.apply_landed_cost, landed_cost.ApplyLandedCost(**cmd))


def postings(ctx: TenantCtx) -> list[journal.JournalRow]:
    day = utcnow().date()
    return read(ctx.engine, ctx.actor, journal.journal_rows, day - timedelta(days=1), day + timedelta(days=1))


def inventory_account(ctx: TenantCtx) -> Decimal:
    """The inventory account's balance, with goods received counted at their receipt cost (whether or not the
    journal posts receipts yet)."""
    rows = [r for r in postings(ctx) if r.account == jd.INVENTORY and r.kind != "receipt"]
    with ctx.engine.connect() as conn:
        m = StockMove.__table__
        received = conn.execute(select(func.sum(m.c.quantity * m.c.unit_cost)).where(
            m.c.tenant_id == ctx.tenant_id, m.c.reason == "receipt")).scalar_one()
    return jd.cents(D(received)) + sum((r.debit - r.credit for r in rows), D(0))


def cogs_of_shipments(ctx: TenantCtx) -> Decimal:
    return sum((r.debit for r in postings(ctx) if r.kind == "cogs" and r.account == jd.COGS), D(0))


def report_total(ctx: TenantCtx) -> Decimal:
    return read(ctx.engine, ctx.actor, valuation.valuation_report, utcnow().date()).total_value


@pytest.mark.parametrize("method, cogs", [("fifo", D("12.00")), ("average", D("14.00"))])
def test_shipments_cost_by_the_method_and_the_books_match_the_report(shop: Shop, method: str, cogs: Decimal) -> None:
    # SKU-001: 10 @ 4.00 then 10 @ 6.00. Shipping 2 of SKU-001 and 1 of SKU-002 (4.00):
    #   FIFO    2 × 4.00 + 4.00 = 12.00
    #   average 2 × (100.00 / 20) + 4.00 = 14.00
    ctx = shop.ctx
    set_method(ctx, method)
    number = receive(shop, "SKU-001", 10, "6.00")
    delivered_order(shop, SKU_001=2, SKU_002=1)
    drain(ctx.engine, tenant_id=ctx.tenant_id)
    assert cogs_of_shipments(ctx) == cogs
    # 30.00 freight on the 10 @ 6.00, all of them still on hand (FIFO shipped the 4.00 ones; under average the
    # receipt's own units are tracked oldest first too): all of it revalues stock, none goes to COGS
    cost_id = apply(ctx, amount=D("30.00"), receipts=[number])
    drain(ctx.engine, tenant_id=ctx.tenant_id)
    view, lines = read(ctx.engine, ctx.actor, landed_cost.landed_cost, cost_id)
    assert (view.inventory_amount, view.cogs_amount) == (D("30.00"), D("0.00"))
    assert [(ln.receipt_number, ln.quantity, ln.on_hand_quantity, ln.amount) for ln in lines] == [
        (number, 10, 10, D("30.00"))]
    report = read(ctx.engine, ctx.actor, valuation.valuation_report, utcnow().date())
    assert report.method.value == method
    # 140.00 received − the shipment's cost + 30.00 freight
    assert report.total_value == D("170.00") - cogs
    assert inventory_account(ctx) == report.total_value
    landed = [r for r in postings(ctx) if r.kind == "landed_cost"]
    assert {(r.account, r.debit, r.credit) for r in landed} == {(jd.INVENTORY, D("30.00"), D(0)),
                                                                (jd.ACCRUED_LANDED_COSTS, D(0), D("30.00"))}


def test_a_landed_cost_on_partly_sold_goods_splits_between_stock_and_cogs(shop: Shop) -> None:
    # The 10 @ 4.00 of SKU-002 are the only ones; 3 are shipped. 10.00 duty on them by value: 7/10 on hand → 7.00
    # revalues the 7 left (now 5.00 each), 3.00 goes to COGS
    ctx = shop.ctx
    delivered_order(shop, SKU_002=3)
    drain(ctx.engine, tenant_id=ctx.tenant_id)
    with ctx.engine.connect() as conn:
        m = StockMove.__table__
        move_id = conn.execute(select(m.c.id).join(Sku, Sku.id == m.c.sku_id).where(
            m.c.tenant_id == ctx.tenant_id, m.c.reason == "receipt", Sku.code == "SKU-002")).scalar_one()
    cost_id = apply(ctx, kind="duty", basis="value", amount=D("10.00"), move_ids=[move_id])
    drain(ctx.engine, tenant_id=ctx.tenant_id)
    view, _ = read(ctx.engine, ctx.actor, landed_cost.landed_cost, cost_id)
    assert (view.inventory_amount, view.cogs_amount) == (D("7.00"), D("3.00"))
    row = next(r for r in read(ctx.engine, ctx.actor, valuation.valuation_report, utcnow().date()).rows
               if r.sku_code == "SKU-002")
    assert (row.quantity, row.value, row.unit_cost) == (7, D("35.00"), D("5.0000"))
    assert inventory_account(ctx) == report_total(ctx)
    landed = {r.account: (r.debit, r.credit) for r in postings(ctx) if r.kind == "landed_cost"}
    assert landed == {jd.INVENTORY: (D("7.00"), D(0)), jd.COGS: (D("3.00"), D(0)),
                      jd.ACCRUED_LANDED_COSTS: (D(0), D("10.00"))}


def test_allocation_over_receipts_adds_up_to_the_amount(shop: Shop) -> None:
    ctx = shop.ctx
    first, second = receive(shop, "SKU-001", 1, "1.00"), receive(shop, "SKU-002", 2, "1.00")
    third = receive(shop, "SKU-001", 4, "1.00")
    cost_id = apply(ctx, amount=D("100.00"), receipts=[first, second, third])  # by quantity 1:2:4
    _, lines = read(ctx.engine, ctx.actor, landed_cost.landed_cost, cost_id)
    # 100.00 × 1/7 = 14.2857, × 2/7 = 28.5714, × 4/7 = 57.1428 → 14.28, 28.57, 57.14 and the cent left to the
    # largest remainder (14.2857)
    assert [ln.amount for ln in lines] == [D("14.29"), D("28.57"), D("57.14")]
    assert sum(ln.amount for ln in lines) == D("100.00")


def test_bad_input_and_missing_rights_change_nothing(shop: Shop) -> None:
    ctx = shop.ctx
    number = receive(shop, "SKU-001", 5, "2.00")
    with pytest.raises(ValidationFailed) as weight:
        apply(ctx, amount=D("5.00"), basis="weight", receipts=[number])
    assert weight.value.field == "basis" and "SKU-001" in weight.value.message
    for fields, field in [({"amount": D("0"), "receipts": [number]}, "amount"),
                          ({"amount": D("1.00"), "receipts": ["GR-NOPE"]}, "receipts"),
                          ({"amount": D("1.00"), "receipts": [number], "kind": "bribe"}, "kind"),
                          ({"amount": D("1.00"), "receipts": [number], "currency": "USD"}, "currency"),
                          ({"amount": D("1.00")}, "receipts")]:
        with pytest.raises(ValidationFailed) as error:
            apply(ctx, **fields)
        assert error.value.field == field
    viewer = Actor(ctx.tenant_id, None, "viewer", frozenset({ACCOUNTING_VIEW}))
    with pytest.raises(PermissionDenied):
        perform(ctx.engine, viewer, landed_cost.apply_landed_cost, landed_cost.ApplyLandedCost(
            kind="freight", amount=D("1.00"), currency="EUR", basis="quantity", receipts=[number]))
    with pytest.raises(PermissionDenied):
        perform(ctx.engine, viewer, valuation.set_method, valuation.SetMethod(method="average"))
    with pytest.raises(ValidationFailed):
        set_method(ctx, "lifo")
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LandedCost).where(
            LandedCost.tenant_id == ctx.tenant_id)).scalar_one() == 0


def test_changing_the_method_is_audited_and_kept_in_history(shop: Shop) -> None:
    ctx = shop.ctx
    set_method(ctx, "average")
    history = read(ctx.engine, ctx.actor, valuation.method_history)
    assert [h.method.value for h in history] == ["average"]
    with ctx.engine.connect() as conn:
        audited = conn.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.tenant_id == ctx.tenant_id, AuditEntry.action == "valuation.method_changed.v1")).scalar_one()
    assert audited == 1


def test_the_report_as_of_a_past_day_and_a_backdated_write_off(tenant: TenantCtx) -> None:
    # Two receipts dated three days and one day ago (their rows moved back in time), and a write-off of 5 dated
    # two days ago, entered today: by business time it comes between them, so FIFO writes off 5 @ 4.00 = 20.00.
    # As of two days ago: 5 @ 4.00 = 20.00; as of yesterday: + 10 @ 6.00 = 80.00.
    build_world(tenant)
    first = receive_stock(tenant, "SKU-001", "MAIN/A/01", 10, unit_cost=D("4.00"))
    second = receive_stock(tenant, "SKU-001", "MAIN/A/01", 10, unit_cost=D("6.00"))
    today = utcnow().date()
    moves = StockMove.__table__
    with tenant.engine.begin() as conn:
        for move_id, days in ((first, 3), (second, 1)):
            conn.execute(update(moves).where(moves.c.id == move_id).values(
                created_at=utcnow() - timedelta(days=days)))
    perform(tenant.engine, tenant.actor, write_off_stock, WriteOffStock(
        sku="SKU-001", location="MAIN/A/01", quantity=5, reason="damaged", effective_on=today - timedelta(days=2)))
    drain(tenant.engine, tenant_id=tenant.tenant_id)

    def total(day: int) -> Decimal:
        return read(tenant.engine, tenant.actor, valuation.valuation_report, today - timedelta(days=day)).total_value

    assert (total(4), total(2), total(1), total(0)) == (D(0), D("20.00"), D("80.00"), D("80.00"))
    written_off = [r for r in read(tenant.engine, tenant.actor, journal.journal_rows, today - timedelta(days=5), today)
                   if r.account == jd.INVENTORY and r.kind == "write_off"]
    assert [r.credit for r in written_off] == [D("20.00")]
