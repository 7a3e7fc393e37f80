"""Issuing documents: gapless numbers per tenant and document type, stored once and re-printed byte for byte,
issued again only where that makes sense, refused for objects that have nothing to print yet."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from stockyard.core.actor import Actor
from stockyard.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from stockyard.core.files import LocalFileStore
from stockyard.core.outbox import OutboxEvent
from stockyard.core.uow import UnitOfWork, perform, read
from stockyard.documents import services
from stockyard.documents.models import IssuedDocument
from stockyard.identity.domain import ORDERS_VIEW
from stockyard.inventory import counts, transfers
from stockyard.purchasing.services import CreatePurchaseOrder, CreateSupplier, create_purchase_order, create_supplier
from stockyard.returns.services import RefundReturn, refund_return
from stockyard.sales import orders
from tests.conftest import TenantCtx, new_tenant
from tests.documents.support import pdf_text
from tests.factories import build_world, receive
from tests.returns.support import delivered_order, staff
from tests.returns.test_services import inspected
from tests.sales.order_fixtures import checkout_order, detail
from tests.sales.shop_setup import build_shop


@pytest.fixture
def store(tmp_path: Path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "objects")


def issue(ctx: TenantCtx, store: LocalFileStore, doc_type: str, subject_id: int, **kw: bool) -> services.DocumentRef:
    return perform(ctx.engine, ctx.actor, services.issue_document, store, doc_type, subject_id, **kw)


def open_count(ctx: TenantCtx) -> int:
    return perform(ctx.engine, ctx.actor, counts.open_count,
                   counts.OpenCount(warehouse="MAIN", locations=["MAIN/A/01"], note="cycle count"))


def dispatch(ctx: TenantCtx, quantity: int = 2) -> int:
    return perform(ctx.engine, ctx.actor, transfers.dispatch_transfer, transfers.DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH", note="restock north",
        lines=[transfers.TransferLineIn(sku="SKU-001", from_location="MAIN/A/01", quantity=quantity)]))


def test_numbers_are_gapless_per_tenant_and_document_type(tenant: TenantCtx, store: LocalFileStore) -> None:
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 20)
    count_ids = [open_count(tenant) for _ in range(3)]
    transfer_ids = [dispatch(tenant) for _ in range(2)]

    sheets = [issue(tenant, store, "count_sheet", c) for c in count_ids]
    assert [s.number for s in sheets] == ["CS-000001", "CS-000002", "CS-000003"]
    # Another type has its own counter.
    assert [issue(tenant, store, "transfer", t).number for t in transfer_ids] == ["TD-000001", "TD-000002"]
    # Printing again serves the stored document and takes no number.
    again = issue(tenant, store, "count_sheet", count_ids[0])
    assert (again.id, again.number) == (sheets[0].id, "CS-000001")
    # A failing issue takes no number either.
    with pytest.raises(NotFound):
        issue(tenant, store, "count_sheet", 999_999)
    # A transaction that rolls back gives its number back.
    with pytest.raises(RuntimeError), UnitOfWork(tenant.engine, tenant.actor) as uow:
        assert services.issue_document(uow, store, "count_sheet", count_ids[1], again=True).number == "CS-000004"
        raise RuntimeError("the printer caught fire")
    assert issue(tenant, store, "count_sheet", count_ids[1], again=True).number == "CS-000004"
    assert issue(tenant, store, "count_sheet", count_ids[2], again=True).number == "CS-000005"

    other = new_tenant(tenant.engine)  # tenant B counts from 1 and cannot see tenant A's documents
    build_world(other)
    receive(other, "SKU-001", "MAIN/A/01", 5)
    assert issue(other, store, "count_sheet", open_count(other)).number == "CS-000001"
    with pytest.raises(NotFound):
        read(other.engine, other.actor, services.get_document, sheets[0].id)
    with pytest.raises(NotFound):  # nor issue one for tenant A's count
        issue(other, store, "count_sheet", count_ids[0])


def test_the_stored_file_is_what_a_reprint_serves(tenant: TenantCtx, store: LocalFileStore) -> None:
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 20)
    transfer_id = dispatch(tenant, 7)
    ref = issue(tenant, store, "transfer", transfer_id)
    assert ref.file_key == f"t{tenant.tenant_id}/documents/transfer/TD-000001.pdf"
    stored, data = read(tenant.engine, tenant.actor, services.document_file, store, ref.id)
    assert stored == ref and data == store.get(ref.file_key) and len(data) == ref.size_bytes
    text = pdf_text(data)
    for expected in ("Transfer document", "TD-000001", f"Transfer {transfer_id}", "MAIN Main", "NORTH North",
                     "MAIN/A/01", "SKU-001", "Part 1", "restock north", "Units: 7"):
        assert expected in text, expected
    listed = read(tenant.engine, tenant.actor, services.documents_for, "transfer", transfer_id)
    assert [d.id for d in listed.documents] == [ref.id] and listed.subject_ref == f"Transfer {transfer_id}"
    with pytest.raises(NotFound):
        read(tenant.engine, tenant.actor, services.documents_for, "transfer", 999_999)
    with tenant.uow() as uow:
        events = uow.conn.execute(OutboxEvent.__table__.select().where(
            OutboxEvent.__table__.c.tenant_id == tenant.tenant_id,
            OutboxEvent.__table__.c.type == "document.issued.v1")).all()
    assert [e.payload["number"] for e in events] == ["TD-000001"]
    with pytest.raises(ValidationFailed):
        issue(tenant, store, "no_such_type", transfer_id)


def test_order_documents(tenant: TenantCtx, store: LocalFileStore) -> None:
    shop = build_shop(tenant)
    placed = checkout_order(shop, {"SKU-001": 2, "SKU-002": 1})
    slip = issue(tenant, store, "packing_slip", placed.order_id)
    text = pdf_text(store.get(slip.file_key))
    for expected in ("Packing slip", "PS-000001", placed.number, "SKU-001", "Part 1", "SKU-002", "Total items: 3"):
        assert expected in text, expected
    assert "10.00" not in text  # a packing slip shows no prices
    picks = pdf_text(store.get(issue(tenant, store, "pick_list", placed.order_id).file_key))
    assert "PL-000001" in picks and "MAIN/A/01" in picks and "Units: 3" in picks

    with pytest.raises(Conflict, match="no invoice yet"):
        issue(tenant, store, "invoice", placed.order_id)
    e, a = tenant.engine, tenant.actor
    perform(e, a, orders.ship_order, placed.order_id)
    perform(e, a, orders.mark_delivered, placed.order_id)
    perform(e, a, orders.invoice_order, placed.order_id)
    invoice_number = detail(shop, placed.order_id).invoices[0].number
    invoice = issue(tenant, store, "invoice", placed.order_id)
    assert invoice.number == invoice_number
    assert f"Total {detail(shop, placed.order_id).grand_total:,.2f} EUR" in pdf_text(store.get(invoice.file_key))
    with pytest.raises(Conflict, match="issued once"):
        issue(tenant, store, "invoice", placed.order_id, again=True)
    note = pdf_text(store.get(issue(tenant, store, "delivery_note", placed.order_id).file_key))
    assert "Delivery note" in note and "DN-000001" in note and "Signature" in note and "DHL" in note
    # The packing slip of the order as it is now (everything shipped) is a new document with the next number.
    assert issue(tenant, store, "packing_slip", placed.order_id, again=True).number == "PS-000002"
    found = read(e, a, services.documents_for, "order", placed.order_id)
    assert found.subject_ref == placed.number
    kinds = {d.doc_type for d in found.documents}
    assert kinds == {"packing_slip", "pick_list", "invoice", "delivery_note"}


def test_credit_note_of_a_refunded_return(tenant: TenantCtx, store: LocalFileStore) -> None:
    shop = build_shop(tenant, stock={"SKU-001": 10, "SKU-002": 10, "SKU-003": 10})
    order = delivered_order(shop, SKU_001=2, SKU_002=1)
    return_id = inspected(shop, order, SKU_001=2)
    with pytest.raises(Conflict, match="not been refunded"):
        issue(tenant, store, "credit_note", return_id)
    perform(tenant.engine, staff(shop), refund_return, return_id, RefundReturn())
    note = issue(tenant, store, "credit_note", return_id)
    text = pdf_text(store.get(note.file_key))
    for expected in ("Credit note", "CN-000001", "RMA-000001", order.number, "SKU-001", "2", "10.00 EUR",
                     "Total credited 20.00 EUR", "Reason: it rattles"):
        assert expected in text, expected


def test_purchase_order_document_carries_the_order_number(tenant: TenantCtx, store: LocalFileStore) -> None:
    build_world(tenant)
    e, a = tenant.engine, tenant.actor
    perform(e, a, create_supplier, CreateSupplier(code="BOSCH", name="Bosch Parts", currency="EUR"))
    po = perform(e, a, create_purchase_order, CreatePurchaseOrder(
        supplier="BOSCH", warehouse="MAIN", lines=[{"sku": "SKU-001", "quantity": 12, "unit_cost": Decimal("3.25")},
                                                   {"sku": "SKU-002", "quantity": 4, "unit_cost": Decimal("10")}]))
    first = issue(tenant, store, "purchase_order", po.id)
    assert first.number == po.number
    text = pdf_text(store.get(first.file_key))
    for expected in ("Purchase order", po.number, "Bosch Parts (BOSCH)", "Main", "SKU-001", "3.25 EUR",
                     "39.00 EUR", "40.00 EUR", "Total 79.00 EUR", "Units 16"):
        assert expected in text, expected
    assert issue(tenant, store, "purchase_order", po.id, again=True).number == f"{po.number}-2"
    with pytest.raises(Conflict, match="nothing has been received"):
        issue(tenant, store, "goods_receipt", po.id)


def test_permissions(tenant: TenantCtx, store: LocalFileStore) -> None:
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    count_id = open_count(tenant)
    sheet = issue(tenant, store, "count_sheet", count_id)
    clerk = Actor(tenant.tenant_id, None, "order clerk", frozenset({ORDERS_VIEW}))
    with pytest.raises(PermissionDenied):
        perform(tenant.engine, clerk, services.issue_document, store, "count_sheet", count_id)
    with pytest.raises(PermissionDenied):
        read(tenant.engine, clerk, services.get_document, sheet.id)
    with pytest.raises(PermissionDenied):
        read(tenant.engine, clerk, services.documents_for, "count", count_id)


@pytest.mark.concurrency
def test_concurrent_issuers_get_consecutive_numbers(tenant: TenantCtx, store: LocalFileStore) -> None:
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 5)
    count_id = open_count(tenant)

    def issue_five(_: int) -> list[str]:
        return [issue(tenant, store, "count_sheet", count_id, again=True).number for _ in range(5)]

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = [n for batch in pool.map(issue_five, range(6)) for n in batch]
    assert sorted(numbers) == [f"CS-{i:06d}" for i in range(1, 31)]
    with tenant.uow() as uow:
        stored = uow.conn.execute(select(IssuedDocument.number).where(
            IssuedDocument.tenant_id == tenant.tenant_id)).scalars().all()
    assert sorted(stored) == sorted(numbers)
    assert all(store.exists(f"t{tenant.tenant_id}/documents/count_sheet/{n}.pdf") for n in numbers)
