"""Real threads receiving the same purchase order line at once (each its own connection and transaction), on both
backends: the supplier's tolerance holds whatever the interleaving, the refused receipts change nothing, and the
ledger rebuilds the levels exactly."""

from decimal import Decimal

import pytest

from stockyard.core.errors import Conflict, ValidationFailed
from stockyard.core.uow import perform, read
from stockyard.inventory.verify import verify_levels
from stockyard.purchasing import queries, services, suppliers
from tests.conftest import TenantCtx
from tests.factories import build_world
from tests.inventory.support import level
from tests.inventory.test_concurrency import run_together
from tests.purchasing.support import sent, supplier

pytestmark = pytest.mark.concurrency


def test_concurrent_receipts_of_one_line_never_pass_the_tolerance(tenant: TenantCtx) -> None:
    build_world(tenant)
    supplier(tenant)
    perform(tenant.engine, tenant.actor, suppliers.update_supplier, "BOSCH", suppliers.UpdateSupplier(
        name="Bosch", currency="EUR", lead_time_days=10, over_receipt_tolerance_pct=Decimal("10")))
    order = sent(tenant, {"SKU-001": 20})  # 22 units accepted at most
    line = read(tenant.engine, tenant.actor, queries.purchase_order_detail, order.id).lines[0].id

    def receive(_: int) -> services.Receipt:
        return perform(tenant.engine, tenant.actor, services.receive_purchase_order_lines, order.id,
                       services.ReceivePurchaseOrder(location="MAIN/A/01", lines=[
                           services.ReceivedLine(line_id=line, quantity=7)]))

    outcomes = run_together(6, receive)
    done = [o for o in outcomes if o.error is None]
    refused = [o.error for o in outcomes if o.error is not None]
    # 7 + 7 + 7 = 21 ≤ 22: three are received (the third 1 over the order); then the order is complete and the
    # others are refused with a domain error (over the tolerance, or the order received already)
    assert len(done) == 3
    assert all(isinstance(e, ValidationFailed | Conflict) and ("over-receipt" in str(e) or "received cannot be"
                                                                 in str(e)) for e in refused), refused
    assert level(tenant, "SKU-001", "MAIN/A/01") == (21, 0)
    view = read(tenant.engine, tenant.actor, queries.purchase_order_page, order.id)
    assert (view.view.lines[0].received, view.over_received[line], view.view.order.state) == (20, 1, "received")
    assert sorted(r.number for r in view.receipts) == ["GR-000001", "GR-000002", "GR-000003"]
    assert verify_levels(tenant.engine, tenant.tenant_id) == []
