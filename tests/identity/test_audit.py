"""The audit log: every change leaves one row (actor, request id, what changed) in the same transaction; the
database refuses to change or delete it; the admin pages search, filter, show and export it."""

import csv
import io
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from stockyard.core.actor import Actor
from stockyard.core.audit import AuditEntry
from stockyard.core.clock import utcnow
from stockyard.core.errors import Conflict
from stockyard.core.outbox import OutboxEvent, add_event, add_events
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.services import create_user
from tests.conftest import Api, TenantCtx, new_tenant
from tests.factories import build_world, receive

INV = "/api/v1/inventory"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def audit_rows(ctx: TenantCtx, action: str | None = None) -> list[AuditEntry]:
    """The tenant's audit rows, oldest first, read straight from the table."""
    stmt = select(AuditEntry).where(AuditEntry.tenant_id == ctx.tenant_id).order_by(AuditEntry.id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return list(uow.session.scalars(stmt))


def audit_count(ctx: TenantCtx) -> int:
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        return uow.conn.execute(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.tenant_id == ctx.tenant_id)).scalar_one()


def staff_api(ctx: TenantCtx, client: TestClient, role: str) -> tuple[int, Api]:
    user_id, key = ctx.user(role)
    return user_id, Api(client, {"Authorization": f"Bearer {key}"})


def with_request_id(api: Api, request_id: str) -> Api:
    return Api(api.client, {**api.headers, "X-Request-ID": request_id})


def sign_in(ctx: TenantCtx, client: TestClient, role: str, name: str | None = None) -> TestClient:
    """A fresh cookie jar signed in through the login form as a new user of `role`."""
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    with ctx.uow() as uow:
        create_user(uow, email=email, name=name or f"{role} user", password=PASSWORD, role=role)
    browser = TestClient(client.app)
    token = CSRF.search(browser.get("/login").text)[1]
    response = browser.post("/login", data={"tenant": ctx.slug, "email": email, "password": PASSWORD,
                                            "csrf_token": token, "next": "/admin"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return browser


# ---- what is recorded ---------------------------------------------------------------------------------------------

def test_inventory_actions_are_audited_with_actor_request_id_and_payload(tenant: TenantCtx, client: TestClient) -> None:
    world = build_world(tenant)
    owner_id, owner = staff_api(tenant, client, "owner")
    before = audit_count(tenant)

    response = with_request_id(owner, "receive-0001").post(f"{INV}/receipts", {
        "sku": "SKU-001", "location": "MAIN/A/01", "quantity": 10})
    assert response.status_code == 201, response.text
    assert response.headers["X-Request-ID"] == "receive-0001"
    move_id = response.json()["id"]
    response = with_request_id(owner, "reserve-0002").post(f"{INV}/reservations", {
        "sku": "SKU-001", "quantity": 3, "reference": "cart-7"})
    assert response.status_code == 201, response.text
    reservation_id = response.json()["id"]
    count_id = with_request_id(owner, "count-0003").post(f"{INV}/counts", {
        "warehouse": "MAIN", "locations": ["MAIN/A"]}).json()["id"]
    assert owner.post(f"{INV}/counts/{count_id}/lines", {
        "location": "MAIN/A/01", "sku": "SKU-001", "counted": 8}).status_code == 200
    assert with_request_id(owner, "approve-0004").post(f"{INV}/counts/{count_id}/approve").status_code == 200

    rows = audit_rows(tenant)[before:]
    assert [r.action for r in rows] == ["stock.changed.v1", "stock.reserved.v1", "count.opened.v1",
                                        "count.line_recorded.v1", "stock.changed.v1", "count.approved.v1"]
    assert {(r.actor_id, r.actor_name) for r in rows} == {(owner_id, "owner user")}
    receipt, reservation, opened, _, adjustment, approved = rows
    assert (receipt.object_type, receipt.object_id, receipt.request_id) == ("move", str(move_id), "receive-0001")
    assert receipt.after["reason"] == "receipt" and receipt.after["move_ids"] == [move_id]
    assert receipt.before is None
    assert (reservation.object_type, reservation.object_id) == ("reservation", str(reservation_id))
    assert reservation.request_id == "reserve-0002"
    assert (reservation.after["quantity"], reservation.after["reference"]) == (3, "cart-7")
    assert (opened.object_type, opened.object_id, opened.request_id) == ("count", str(count_id), "count-0003")
    # The count's adjustment is a stock change of the count document, in the approval's request.
    assert (adjustment.object_type, adjustment.object_id, adjustment.after["reason"]) == (
        "count", str(count_id), "count_adjustment")
    assert adjustment.request_id == approved.request_id == "approve-0004"
    assert approved.after["adjustments"] == 1
    assert adjustment.after["items"] == [{"sku_id": adjustment.after["items"][0]["sku_id"], "warehouse_id": world.main}]
    # Each audit row is the twin of one outbox event, written at the same moment.
    with UnitOfWork(tenant.engine, readonly=True) as uow:
        events = {e.event_id: e for e in uow.session.scalars(
            select(OutboxEvent).where(OutboxEvent.tenant_id == tenant.tenant_id))}
    for row in rows:
        assert events[row.event_id].type == row.action
        assert events[row.event_id].created_at == row.created_at


def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(tenant: TenantCtx, client: TestClient) -> None:
    build_world(tenant)
    _, owner = staff_api(tenant, client, "owner")
    sent_ids = []
    for header in [None, "two words", "x" * 65, "<script>"]:
        api = owner if header is None else with_request_id(owner, header)
        response = api.post(f"{INV}/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": 1})
        assert response.status_code == 201
        echoed = response.headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", echoed), echoed
        sent_ids.append(echoed)
    assert len(set(sent_ids)) == 4
    assert [r.request_id for r in audit_rows(tenant, "stock.changed.v1")] == sent_ids
    # Reads get an id too, so a client can quote it when reporting a problem.
    assert owner.get(f"{INV}/warehouses").headers["X-Request-ID"]


def test_changes_made_outside_a_request_have_no_request_id(tenant: TenantCtx) -> None:
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 4)
    row = audit_rows(tenant, "stock.changed.v1")[-1]
    assert (row.request_id, row.actor_id, row.actor_name) == ("", None, "test setup")


def test_before_and_after_follow_the_payload_convention(tenant: TenantCtx) -> None:
    def change(uow: UnitOfWork) -> None:
        add_events(uow, [
            ("gadget.renamed.v1", {"id": 12, "before": {"name": "Old"}, "after": {"name": "New"}}),
            ("gadget.deleted.v1", {"gadget_id": 12, "before": {"name": "New"}, "after": None}),
            ("gadget.created.v1", {"gadget_id": 13, "name": "Fresh"}),
            ("stock.released.v1", {"reservation_ids": [4, 5], "reason": "expired"}),
        ])

    perform(tenant.engine, tenant.actor, change)
    renamed, deleted, created, released = audit_rows(tenant)[-4:]
    assert (renamed.object_type, renamed.object_id, renamed.before, renamed.after) == (
        "gadget", "12", {"name": "Old"}, {"name": "New"})
    assert (deleted.object_id, deleted.before, deleted.after) == ("12", {"name": "New"}, None)
    assert (created.object_id, created.before, created.after) == ("13", None, {"gadget_id": 13, "name": "Fresh"})
    assert (released.object_type, released.object_id) == ("reservation", "4,5")
    with UnitOfWork(tenant.engine, readonly=True) as uow:  # a deletion's `after` is SQL NULL, not JSON null
        nulls = uow.conn.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.id == deleted.id, AuditEntry.after.is_(None))).scalar_one()
    assert nulls == 1


# ---- nothing recorded for what did not happen ---------------------------------------------------------------------

def test_a_failed_action_writes_no_audit_row(tenant: TenantCtx, client: TestClient) -> None:
    build_world(tenant)
    _, owner = staff_api(tenant, client, "owner")
    _, operator = staff_api(tenant, client, "warehouse_operator")
    receive(tenant, "SKU-001", "MAIN/A/01", 2)
    before = audit_count(tenant)

    too_many = owner.post(f"{INV}/reservations", {"sku": "SKU-001", "quantity": 50})
    assert too_many.status_code == 409
    bad = owner.post(f"{INV}/receipts", {"sku": "SKU-001", "location": "MAIN/A/01", "quantity": -3})
    assert bad.status_code == 422
    assert operator.post(f"{INV}/counts/1/approve").status_code == 403

    def records_then_fails(uow: UnitOfWork) -> None:
        add_event(uow, "gadget.created.v1", {"gadget_id": 1})
        raise Conflict("changed my mind", field="gadget")

    with pytest.raises(Conflict):
        perform(tenant.engine, tenant.actor, records_then_fails)
    assert audit_count(tenant) == before


# ---- append-only --------------------------------------------------------------------------------------------------

def test_the_database_refuses_to_change_or_delete_audit_rows(tenant: TenantCtx) -> None:
    build_world(tenant)
    receive(tenant, "SKU-001", "MAIN/A/01", 4)
    row = audit_rows(tenant)[-1]
    attempts: list[Any] = [
        update(AuditEntry).where(AuditEntry.id == row.id).values(actor_name="someone else"),
        update(AuditEntry).where(AuditEntry.tenant_id == tenant.tenant_id).values(after=None),
        delete(AuditEntry).where(AuditEntry.id == row.id),
        text("DELETE FROM audit_log"),
    ]
    for statement in attempts:
        with pytest.raises(DBAPIError, match="append-only"), UnitOfWork(tenant.engine, tenant.actor) as uow:
            uow.conn.execute(statement)
    [again] = [r for r in audit_rows(tenant) if r.id == row.id]
    assert (again.actor_name, again.after) == (row.actor_name, row.after)


# ---- admin pages --------------------------------------------------------------------------------------------------

def _seed(ctx: TenantCtx, entries: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Audit rows by named actors: (actor name, event type, payload)."""
    for name, event_type, payload in entries:
        actor = Actor(tenant_id=ctx.tenant_id, user_id=None, name=name, permissions=frozenset({"*"}))
        perform(ctx.engine, actor, add_event, event_type, payload)


def listed(html: str) -> list[str]:
    """The actions of the audit table's rows, top to bottom."""
    return re.findall(r'class="audit-action">([^<]+)</a>', html)


def test_the_audit_list_searches_filters_sorts_and_pages(tenant: TenantCtx, client: TestClient) -> None:
    browser = sign_in(tenant, client, "accountant")  # first: creating the user may be audited too
    earlier = [r.action for r in audit_rows(tenant)]
    _seed(tenant, [("Ada", "gadget.created.v1", {"gadget_id": 1}),
                   ("Ada", "gadget.renamed.v1", {"id": 1, "before": {"name": "a"}, "after": {"name": "b"}}),
                   ("Bob", "widget.created.v1", {"widget_id": 7}),
                   ("Bob", "gadget.created.v1", {"gadget_id": 2})])

    page = browser.get("/admin/audit")
    assert page.status_code == 200
    seeded = ["gadget.created.v1", "gadget.renamed.v1", "widget.created.v1", "gadget.created.v1"]
    assert listed(page.text) == seeded[::-1] + earlier[::-1]
    assert listed(browser.get("/admin/audit", params={"sort": "oldest"}).text) == earlier + seeded
    assert listed(browser.get("/admin/audit", params={"actor": "Bob"}).text) == [
        "gadget.created.v1", "widget.created.v1"]
    assert listed(browser.get("/admin/audit", params={"action": "gadget.created.v1", "sort": "oldest"}).text) == [
        "gadget.created.v1", "gadget.created.v1"]
    assert listed(browser.get("/admin/audit", params={"object_type": "widget"}).text) == ["widget.created.v1"]
    assert listed(browser.get("/admin/audit", params={"object_type": "gadget", "object_id": "1"}).text) == [
        "gadget.renamed.v1", "gadget.created.v1"]
    assert listed(browser.get("/admin/audit", params={"q": "RENAMED"}).text) == ["gadget.renamed.v1"]
    assert listed(browser.get("/admin/audit", params={"q": "bo"}).text) == ["gadget.created.v1", "widget.created.v1"]
    assert listed(browser.get("/admin/audit", params={"q": "%"}).text) == []  # a wildcard is a plain character
    today = utcnow().date()
    assert len(listed(browser.get("/admin/audit", params={"date_from": str(today), "date_to": str(today)}).text)) == (
        audit_count(tenant))
    assert listed(browser.get("/admin/audit", params={"date_from": str(today + timedelta(days=1))}).text) == []
    assert listed(browser.get("/admin/audit", params={"date_to": str(today - timedelta(days=1))}).text) == []
    # The filter lists offer what occurs in the log.
    assert '<option value="Bob">Bob</option>' in page.text
    assert '<option value="widget">widget</option>' in page.text


def test_bad_filters_are_named_and_change_nothing(tenant: TenantCtx, client: TestClient) -> None:
    browser = sign_in(tenant, client, "owner")
    before = audit_count(tenant)
    response = browser.get("/admin/audit", params={"date_from": "2026-02-30"})
    assert response.status_code == 422
    assert 'id="date_from-error"' in response.text
    response = browser.get("/admin/audit", params={"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.status_code == 422 and "the end date is before the start date" in response.text
    assert browser.get("/admin/audit", params={"sort": "sideways"}).status_code == 422
    assert browser.get("/admin/audit/export.csv", params={"date_to": "yesterday"}).status_code == 422
    assert audit_count(tenant) == before


def test_the_audit_list_pages_through_many_rows(tenant: TenantCtx, client: TestClient) -> None:
    perform(tenant.engine, tenant.actor, add_events, [("gadget.created.v1", {"gadget_id": i}) for i in range(60)])
    browser = sign_in(tenant, client, "owner")
    first = browser.get("/admin/audit", params={"action": "gadget.created.v1"})
    assert len(listed(first.text)) == 50 and "60 in all" in first.text and 'rel="next"' in first.text
    second = browser.get("/admin/audit", params={"action": "gadget.created.v1", "page": "2"})
    assert len(listed(second.text)) == 10 and 'rel="prev"' in second.text


def test_an_entry_shows_what_changed(tenant: TenantCtx, client: TestClient) -> None:
    browser = sign_in(tenant, client, "administrator")
    _seed(tenant, [("Ada", "gadget.updated.v1", {"id": 3, "before": {"name": "Bolt", "size": 4, "colour": "red"},
                                                 "after": {"name": "Bolt", "size": 5, "finish": "zinc"}})])
    entry = audit_rows(tenant)[-1]
    page = browser.get(f"/admin/audit/{entry.id}")
    assert page.status_code == 200
    rows = {field: kind for kind, field in re.findall(r'<tr class="diff-(\w+)">\s*<th scope="row">(\w+)</th>',
                                                      page.text)}
    assert rows == {"name": "same", "size": "changed", "colour": "removed", "finish": "added"}
    assert "<code>4</code>" in page.text and "<code>5</code>" in page.text
    assert browser.get("/admin/audit/999999999").status_code == 404


def test_the_csv_export_holds_exactly_the_filtered_rows(tenant: TenantCtx, client: TestClient) -> None:
    _seed(tenant, [("Ada", "gadget.created.v1", {"gadget_id": 1, "name": "Nut"}),
                   ("=HYPERLINK(\"x\")", "gadget.created.v1", {"gadget_id": 2}),
                   ("Bob", "widget.created.v1", {"widget_id": 9})])
    browser = sign_in(tenant, client, "owner")
    response = browser.get("/admin/audit/export.csv", params={"action": "gadget.created.v1", "sort": "oldest"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-')
    header, *rows = list(csv.reader(io.StringIO(response.text)))
    assert header == ["id", "time_utc", "actor_id", "actor", "action", "object_type", "object_id", "request_id",
                      "before", "after"]
    assert [(r[3], r[4], r[5], r[6]) for r in rows] == [("Ada", "gadget.created.v1", "gadget", "1"),
                                                        ("'=HYPERLINK(\"x\")", "gadget.created.v1", "gadget", "2")]
    assert rows[0][9] == '{"gadget_id": 1, "name": "Nut"}' and rows[0][8] == ""
    everything = list(csv.reader(io.StringIO(browser.get("/admin/audit/export.csv").text)))
    assert len(everything) == 1 + audit_count(tenant)


def test_a_long_export_is_read_in_chunks_without_losing_rows(tenant: TenantCtx, client: TestClient) -> None:
    perform(tenant.engine, tenant.actor, add_events, [("gadget.created.v1", {"gadget_id": i}) for i in range(2500)])
    browser = sign_in(tenant, client, "owner")
    for sort in ("newest", "oldest"):
        rows = list(csv.reader(io.StringIO(browser.get("/admin/audit/export.csv", params={
            "action": "gadget.created.v1", "sort": sort}).text)))[1:]
        ids = [int(r[6]) for r in rows]
        assert sorted(ids) == list(range(2500))
        assert [int(r[0]) for r in rows] == sorted((int(r[0]) for r in rows), reverse=sort == "newest")


@pytest.mark.parametrize("role", ["warehouse_manager", "sales", "read_only"])
def test_the_audit_log_needs_audit_view(tenant: TenantCtx, client: TestClient, role: str) -> None:
    _seed(tenant, [("Ada", "gadget.created.v1", {"gadget_id": 1})])
    entry = audit_rows(tenant)[-1]
    browser = sign_in(tenant, client, role)
    for url in ["/admin/audit", f"/admin/audit/{entry.id}", "/admin/audit/export.csv"]:
        response = browser.get(url)
        assert response.status_code == 403, url
        assert "Ada" not in response.text


def test_another_tenants_entries_are_not_found(tenant: TenantCtx, client: TestClient) -> None:
    other = new_tenant(tenant.engine)
    _seed(other, [("Zed", "gadget.created.v1", {"gadget_id": 1})])
    theirs = audit_rows(other)[-1]
    browser = sign_in(tenant, client, "owner")
    assert browser.get(f"/admin/audit/{theirs.id}").status_code == 404
    assert "Zed" not in browser.get("/admin/audit").text
    assert "Zed" not in browser.get("/admin/audit/export.csv").text
