"""Phone orders taken by staff, on both backends: priced from the channel's price list, shipping from the rate
engine, a manual payment left pending, stock allocated at once and shortages backordered (the timeline says so);
bad input changes nothing; a resubmitted form places nothing twice."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.uow import perform
from stockyard.identity.domain import ROLES
from stockyard.sales import orders, staff_order
from stockyard.sales.models import Customer, Order
from tests.conftest import TenantCtx
from tests.factories import receive
from tests.sales.order_fixtures import atp, detail, phone_order, staff_command
from tests.sales.shop_setup import SHIPPING_PRICE, Shop, build_shop


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def order_count(shop: Shop) -> int:
    with shop.ctx.uow() as uow:
        return uow.conn.execute(select(func.count()).select_from(Order.__table__).where(
            Order.__table__.c.tenant_id == uow.tenant_id)).scalar_one()


def test_a_phone_order_is_priced_allocated_and_waits_for_the_bank_transfer(shop: Shop) -> None:
    placed = phone_order(shop, {"SKU-001": 2, "SKU-002": 1}, note="customer calls back on Friday")
    assert placed.status == "awaiting_payment" and placed.backordered == 0
    order = detail(shop, placed.number)
    assert order.source == "staff" and order.email == "phone.buyer@example.com"
    assert order.customer_name == "Hans Hörer" and order.customer_phone == "+49 40 123456"
    assert [(line.sku_code, line.quantity, line.unit_price, line.allocated) for line in order.lines] == [
        ("SKU-001", 2, Decimal("10.00"), 2), ("SKU-002", 1, Decimal("25.00"), 1)]
    assert order.subtotal == Decimal("45.00") and order.shipping_total == SHIPPING_PRICE
    assert order.grand_total == Decimal("45.00") + SHIPPING_PRICE
    # 19 % included, rounded per line: 3.19 (20.00) + 3.99 (25.00) + 0.78 (shipping 4.90, at the goods' rate)
    assert order.tax_total == Decimal("7.96")
    assert [p.state for p in order.payments] == ["pending"]
    # The units are set aside at once (manual payment), in MAIN, with the reason.
    assert atp(shop, "SKU-001") == 3 and atp(shop, "SKU-002") == 2
    assert {(a.sku_code, a.warehouse_code, a.quantity, a.state) for a in order.allocations} == {
        ("SKU-001", "MAIN", 2, "allocated"), ("SKU-002", "MAIN", 1, "allocated")}
    notes = [e.note for e in order.timeline]
    assert notes[0].startswith("order taken by test setup") and "note: customer calls back on Friday" in notes
    assert any(n.startswith("stock allocated") for n in notes)
    assert "mark_paid" in order.actions and "ship" not in order.actions


def test_marking_the_phone_order_paid_moves_it_to_allocated(shop: Shop) -> None:
    placed = phone_order(shop, {"SKU-001": 1})
    status = perform(shop.ctx.engine, shop.ctx.actor, orders.mark_paid, placed.order_id, "BANK-REF-1")
    assert status == "allocated"
    order = detail(shop, placed.order_id)
    assert order.status == "allocated" and [p.state for p in order.payments] == ["captured"]
    assert order.payments[0].reference == "BANK-REF-1"


def test_a_short_line_is_backordered_and_the_timeline_says_which(shop: Shop) -> None:
    placed = phone_order(shop, {"SKU-002": 5, "SKU-003": 2})
    assert placed.backordered == 4  # 3 of SKU-002 in stock, none of SKU-003
    order = detail(shop, placed.number)
    assert [(line.sku_code, line.allocated, line.backordered) for line in order.lines] == [
        ("SKU-002", 3, 2), ("SKU-003", 0, 2)]
    assert any("4 unit(s) backordered: SKU-002 × 2, SKU-003 × 2" in e.note for e in order.timeline)
    assert atp(shop, "SKU-002") == 0


def test_the_same_sku_twice_is_one_line(shop: Shop) -> None:
    cmd = staff_command(shop, {"SKU-001": 1}).model_copy(update={"lines": [
        staff_order.StaffLine(sku="SKU-001", quantity=1), staff_order.StaffLine(sku="SKU-001", quantity=2)]})
    placed = perform(shop.ctx.engine, shop.ctx.actor, staff_order.create_staff_order, cmd)
    assert [(line.sku_code, line.quantity) for line in detail(shop, placed.number).lines] == [("SKU-001", 3)]


def test_an_existing_customer_is_linked_and_a_new_one_is_created_once(shop: Shop) -> None:
    first = phone_order(shop, {"SKU-001": 1})
    second = phone_order(shop, {"SKU-001": 1}, customer_name="Someone Else")
    assert detail(shop, first.number).customer_id == detail(shop, second.number).customer_id is not None
    with shop.ctx.uow() as uow:
        names = list(uow.conn.execute(select(Customer.__table__.c.name).where(
            Customer.__table__.c.tenant_id == uow.tenant_id)).scalars())
    assert names == ["Hans Hörer"]  # the existing customer's name is not overwritten


def test_a_resubmitted_form_returns_the_first_order(shop: Shop) -> None:
    cmd = staff_command(shop, {"SKU-001": 2}, idempotency_key="form-key-123456")
    first = perform(shop.ctx.engine, shop.ctx.actor, staff_order.create_staff_order, cmd)
    again = perform(shop.ctx.engine, shop.ctx.actor, staff_order.create_staff_order, cmd)
    assert again.replayed and again.number == first.number
    assert order_count(shop) == 1 and atp(shop, "SKU-001") == 3


@pytest.mark.parametrize(("changes", "error", "field"), [
    ({"lines": {"NOPE": 1}}, NotFound, "lines[0].sku"),
    ({"shipping_method_id": 999999}, ValidationFailed, "shipping_method_id"),
    ({"payment_method_id": 999999}, NotFound, "method_id"),
    ({"channel_id": 999999}, NotFound, "channel_id"),
    ({"shipping_address": Shop.address(country="FR")}, ValidationFailed, "shipping_address"),
])
def test_bad_input_is_refused_and_changes_nothing(shop: Shop, changes: dict, error: type, field: str) -> None:
    changes = dict(changes)
    with pytest.raises(error) as refused:
        phone_order(shop, changes.pop("lines", {"SKU-001": 2}), **changes)
    assert refused.value.field == field
    assert order_count(shop) == 0 and atp(shop, "SKU-001") == 5


def test_a_card_method_is_refused_for_a_phone_order(shop: Shop) -> None:
    with pytest.raises(ValidationFailed, match="bank transfer or on delivery") as refused:
        phone_order(shop, {"SKU-001": 1}, payment_method_id=shop.card_method_id)
    assert refused.value.field == "payment_method_id"
    assert order_count(shop) == 0


def test_a_sku_without_a_price_on_the_channel_is_refused(shop: Shop) -> None:
    perform(shop.ctx.engine, shop.ctx.actor, create_product, CreateProduct(name="Unpriced", skus=[{"code": "FREE-1"}]))
    receive(shop.ctx, "FREE-1", "MAIN/A/01", 4)
    with pytest.raises(Conflict, match="FREE-1 has no price") as refused:
        phone_order(shop, {"SKU-001": 1, "FREE-1": 1})
    assert refused.value.field == "lines[1].sku"
    assert order_count(shop) == 0 and atp(shop, "SKU-001") == 5


@pytest.mark.parametrize("role", ["read_only", "accountant", "warehouse_manager"])
def test_roles_without_order_rights_cannot_take_phone_orders(shop: Shop, role: str) -> None:
    actor = Actor(shop.ctx.tenant_id, None, role, ROLES[role])
    with pytest.raises(PermissionDenied):
        perform(shop.ctx.engine, actor, staff_order.create_staff_order, staff_command(shop, {"SKU-001": 1}))
    assert order_count(shop) == 0


def test_sales_staff_may_take_phone_orders(shop: Shop) -> None:
    actor = Actor(shop.ctx.tenant_id, None, "Sam Sales", ROLES["sales"])
    placed = perform(shop.ctx.engine, actor, staff_order.create_staff_order, staff_command(shop, {"SKU-001": 1}))
    assert detail(shop, placed.number).timeline[0].actor_name == "Sam Sales"


def test_shipping_options_for_the_form(shop: Shop) -> None:
    options = perform(shop.ctx.engine, shop.ctx.actor, staff_order.staff_shipping_options, shop.channel_id,
                      shop.address(), [staff_order.StaffLine(sku="SKU-001", quantity=1)])
    assert [(o.method_id, o.cost) for o in options] == [(shop.method_id, SHIPPING_PRICE)]
    methods = perform(shop.ctx.engine, shop.ctx.actor, staff_order.staff_payment_methods, shop.channel_id)
    assert [m.id for m in methods] == [shop.bank_method_id]
