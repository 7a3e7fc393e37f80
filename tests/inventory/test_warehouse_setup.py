"""Warehouse setup: country, postcode and handling days through the service, the JSON API and the /erp forms."""

from typing import Any

import pytest
from sqlalchemy import select

from stockyard.core.audit import AuditEntry
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.uow import UnitOfWork, perform
from stockyard.inventory.models import Warehouse
from stockyard.inventory.warehouses import CreateWarehouse, UpdateWarehouse, create_warehouse, update_warehouse
from tests.conftest import Api, TenantCtx
from tests.factories import build_world
from tests.inventory.support import assert_refused, events
from tests.web.test_pages import Staff, field_error, new_client, shown_value, sign_in  # noqa: F401  (fixtures)

INV = "/api/v1/inventory"
ORIGIN = ("code", "name", "country", "postcode", "handling_days", "priority")


def _warehouse(ctx: TenantCtx, code: str) -> dict[str, Any]:
    t = Warehouse.__table__
    with UnitOfWork(ctx.engine, readonly=True) as uow:
        row = uow.conn.execute(select(t).where(t.c.tenant_id == ctx.tenant_id, t.c.code == code)).one()
    return dict(row._mapping)


def test_create_and_update_keep_the_origin_and_handling_days_and_audit_the_change(tenant: TenantCtx) -> None:
    e, a = tenant.engine, tenant.actor
    wid = perform(e, a, create_warehouse, CreateWarehouse(code="hh", name="Hamburg", country="de ",
                                                          postcode="20095", handling_days=0))
    row = _warehouse(tenant, "HH")
    assert (row["id"], row["country"], row["postcode"], row["handling_days"]) == (wid, "DE", "20095", 0)
    assert events(tenant, "warehouse.created.v1")[-1]["country"] == "DE"
    default = perform(e, a, create_warehouse, CreateWarehouse(code="X1", name="Somewhere"))
    assert (_warehouse(tenant, "X1")["country"], _warehouse(tenant, "X1")["handling_days"]) == ("", 1)
    assert default != wid

    assert_refused(tenant, ValidationFailed, "country", create_warehouse,
                   CreateWarehouse(code="ZZ", name="Nowhere", country="XX"))
    assert_refused(tenant, ValidationFailed, "country", update_warehouse, wid,
                   UpdateWarehouse(name="Hamburg", country="Germany"))
    assert_refused(tenant, NotFound, "warehouse_id", update_warehouse, 999_999, UpdateWarehouse(name="X"))
    with pytest.raises(ValueError):
        UpdateWarehouse(name="Hamburg", handling_days=-1)

    perform(e, a, update_warehouse, "HH", UpdateWarehouse(name="Hamburg Port", country="at", postcode="1010",
                                                          handling_days=3, priority=5))
    row = _warehouse(tenant, "HH")
    assert (row["name"], row["country"], row["postcode"], row["handling_days"], row["priority"]) == (
        "Hamburg Port", "AT", "1010", 3, 5)
    event = events(tenant, "warehouse.updated.v1")[-1]
    assert event["before"]["country"] == "DE" and event["after"]["country"] == "AT"
    assert event["before"]["handling_days"] == 0 and event["after"]["handling_days"] == 3
    with UnitOfWork(e, readonly=True) as uow:
        audit = uow.conn.execute(select(AuditEntry.object_type, AuditEntry.object_id, AuditEntry.after).where(
            AuditEntry.tenant_id == tenant.tenant_id, AuditEntry.action == "warehouse.updated.v1")).one()
    assert (audit.object_type, audit.object_id, audit.after["postcode"]) == ("warehouse", str(wid), "1010")
    # Saving the same values again changes nothing and records nothing.
    perform(e, a, update_warehouse, wid, UpdateWarehouse(name="Hamburg Port", country="AT", postcode="1010",
                                                         handling_days=3, priority=5))
    assert len(events(tenant, "warehouse.updated.v1")) == 1
    # An empty country clears it.
    perform(e, a, update_warehouse, wid, UpdateWarehouse(name="Hamburg Port", handling_days=3, priority=5))
    assert _warehouse(tenant, "HH")["country"] == ""


def test_the_api_creates_lists_and_updates_the_new_fields(tenant: TenantCtx, api: Api) -> None:
    created = api.post(f"{INV}/warehouses", {"code": "VIE", "name": "Vienna", "country": "AT", "postcode": "1010",
                                             "handling_days": 2})
    assert created.status_code == 201, created.text
    wid = created.json()["id"]
    listed = {w["code"]: w for w in api.get(f"{INV}/warehouses").json()}
    assert {k: listed["VIE"][k] for k in ORIGIN} == {"code": "VIE", "name": "Vienna", "country": "AT",
                                                      "postcode": "1010", "handling_days": 2, "priority": 100}
    bad = api.post(f"{INV}/warehouses", {"code": "BAD", "name": "Bad", "country": "QQ"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "country"
    negative = api.post(f"{INV}/warehouses", {"code": "NEG", "name": "Neg", "handling_days": -1})
    assert negative.status_code == 422 and negative.json()["error"]["field"] == "handling_days"
    assert {w["code"] for w in api.get(f"{INV}/warehouses").json()} == {"VIE"}

    by_code = api.put(f"{INV}/warehouses/vie", {"name": "Vienna South", "country": "AT", "postcode": "1100",
                                                "handling_days": 1})
    assert by_code.status_code == 200, by_code.text
    assert (by_code.json()["name"], by_code.json()["postcode"]) == ("Vienna South", "1100")
    by_id = api.put(f"{INV}/warehouses/{wid}", {"name": "Vienna South", "country": "CH", "handling_days": 4})
    assert by_id.status_code == 200 and by_id.json()["country"] == "CH" and by_id.json()["handling_days"] == 4
    refused = api.put(f"{INV}/warehouses/{wid}", {"name": "Vienna South", "country": "ZZ"})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "country"
    assert _warehouse(tenant, "VIE")["country"] == "CH"
    assert api.put(f"{INV}/warehouses/NOPE", {"name": "X"}).status_code == 404


def test_erp_pages_create_and_edit_a_warehouse_with_its_origin(tenant: TenantCtx, sign_in) -> None:  # noqa: ANN001, F811
    build_world(tenant)
    owner: Staff = sign_in("owner")
    listing = owner.get("/erp/warehouses").text
    assert 'href="/erp/warehouses/new"' in listing
    form = owner.get("/erp/warehouses/new").text
    assert shown_value(form, "handling_days") == "1"
    bad = owner.post("/erp/warehouses/new", {"code": "WEST", "name": "West", "country": "XX", "handling_days": "2"})
    assert bad.status_code == 422 and "XX" in (field_error(bad.text, "country") or "")
    assert shown_value(bad.text, "handling_days") == "2"  # what was typed is kept
    created = owner.post("/erp/warehouses/new", {"code": "WEST", "name": "West", "country": "fr",
                                                 "postcode": "75001", "handling_days": "3"})
    assert created.status_code == 303, created.text[:2000]
    detail = owner.follow(created).text
    assert "FR 75001" in detail and "Handling days" in detail
    row = _warehouse(tenant, "WEST")
    assert (row["country"], row["postcode"], row["handling_days"]) == ("FR", "75001", 3)
    listing = owner.get("/erp/warehouses").text
    assert "FR 75001" in listing

    edit = owner.get(f"/erp/warehouses/{row['id']}/edit").text
    assert (shown_value(edit, "country"), shown_value(edit, "postcode"), shown_value(edit, "handling_days")) == (
        "FR", "75001", "3")
    refused = owner.post(f"/erp/warehouses/{row['id']}/edit", {"name": "West", "country": "France",
                                                               "handling_days": "3"})
    assert refused.status_code == 422 and field_error(refused.text, "country")
    negative = owner.post(f"/erp/warehouses/{row['id']}/edit", {"name": "West", "handling_days": "-2"})
    assert negative.status_code == 422 and field_error(negative.text, "handling_days")
    assert _warehouse(tenant, "WEST")["handling_days"] == 3
    saved = owner.post(f"/erp/warehouses/{row['id']}/edit", {"name": "West DC", "country": "BE", "postcode": "1000",
                                                             "handling_days": "0", "priority": "50"})
    assert saved.status_code == 303
    assert "BE 1000" in owner.follow(saved).text
    row = _warehouse(tenant, "WEST")
    assert (row["name"], row["country"], row["handling_days"], row["priority"]) == ("West DC", "BE", 0, 50)

    viewer: Staff = sign_in("read_only")
    assert 'href="/erp/warehouses/new"' not in viewer.get("/erp/warehouses").text
    assert viewer.post(f"/erp/warehouses/{row['id']}/edit", {"name": "Hacked", "handling_days": "9"}).status_code == 403
    assert _warehouse(tenant, "WEST")["name"] == "West DC"
