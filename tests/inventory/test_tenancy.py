"""Tenant A never sees nor touches tenant B's rows: through the services, the read models and the API."""

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from stockyard.catalog import queries as catalog_queries
from stockyard.catalog.services import CreateProduct, add_barcode, create_product
from stockyard.core.errors import NotFound
from stockyard.core.uow import perform, read
from stockyard.inventory import counts, min_stock, movements, queries, reservations, transfers, warehouses
from tests.conftest import Api, TenantCtx, new_tenant
from tests.factories import World, build_world, receive
from tests.inventory.support import assert_ledger_consistent, ledger_size, location_id, sku_id, tenant_rows

INV = "/api/v1/inventory"


@dataclass
class Busy:
    """A tenant with a bit of everything: stock, a move, a hold, a transfer, a count and a shortage alert."""

    ctx: TenantCtx
    world: World
    reservation: int
    transfer: int
    transfer_line: int
    count: int


def _busy(ctx: TenantCtx, only_sku: str) -> Busy:
    world = build_world(ctx)
    e, a = ctx.engine, ctx.actor
    perform(e, a, create_product, CreateProduct(name="Own part", part_number=f"PN-{only_sku}",
                                                skus=[{"code": only_sku}]))
    receive(ctx, "SKU-001", "MAIN/A/01", 10, unit_cost="2.00")
    receive(ctx, only_sku, "MAIN/A/02", 3, unit_cost="5.00")
    perform(e, a, movements.move_stock, movements.MoveStock(sku="SKU-001", from_location="MAIN/A/01",
                                                            to_location="MAIN/A/02", quantity=1))
    reservation = perform(e, a, reservations.reserve_stock, reservations.ReserveStock(sku="SKU-001", quantity=2))
    transfer = perform(e, a, transfers.dispatch_transfer, transfers.DispatchTransfer(
        from_warehouse="MAIN", to_warehouse="NORTH", lines=[{"sku": "SKU-001", "from_location": "MAIN/A/01",
                                                             "quantity": 3}]))
    _, lines = read(e, a, queries.transfer_detail, transfer)
    count = perform(e, a, counts.open_count, counts.OpenCount(warehouse="MAIN", locations=["MAIN/A"]))
    perform(e, a, min_stock.set_min_stock_rule, sku=only_sku, warehouse="MAIN", minimum=5)
    return Busy(ctx, world, reservation, transfer, lines[0][0].id, count)


@pytest.fixture
def pair(tenant: TenantCtx, engine: Engine) -> tuple[Busy, Busy]:
    return _busy(tenant, "A-ONLY"), _busy(new_tenant(engine), "B-ONLY")


def test_read_models_return_only_the_tenants_own_rows(pair):
    a, b = pair
    e, actor = a.ctx.engine, a.ctx.actor
    mine = {sku_id(a.ctx, c) for c in ("SKU-001", "SKU-002", "A-ONLY")}
    theirs = {sku_id(b.ctx, c) for c in ("SKU-001", "SKU-002", "B-ONLY")}

    assert [w.id for w in read(e, actor, queries.list_warehouses)] == [a.world.main, a.world.north]
    assert read(e, actor, queries.stock_for_skus, sorted(theirs)) == {}
    assert set(read(e, actor, queries.stock_for_skus, sorted(mine | theirs))) == mine
    found = read(e, actor, queries.search_stock, "", None, 1, 50)
    assert {s.sku_id for s in found.items} == mine
    assert read(e, actor, queries.search_stock, "", b.world.main, 1, 50).items == []
    assert read(e, actor, queries.location_tree, b.world.main) == []
    assert read(e, actor, queries.stock_at_location, location_id(b.ctx, "MAIN/A/01")) == []
    assert read(e, actor, queries.location_by_id, location_id(b.ctx, "MAIN/A/01")) is None

    history = read(e, actor, queries.movement_history, queries.MoveFilter(), 1, 500)
    assert history.total == ledger_size(a.ctx)
    assert {m.sku_id for m, *_ in history.items} <= mine
    assert read(e, actor, queries.movement_history, queries.MoveFilter(sku_id=sku_id(b.ctx, "SKU-001"))).total == 0

    value = read(e, actor, queries.inventory_value)
    assert [v["warehouse_id"] for v in value] == [a.world.main, a.world.north]
    assert sum(v["units"] for v in value) == 13  # its own 13 units (3 of them in transit), none of B's

    assert [t.id for t, *_ in read(e, actor, queries.list_transfers, None, 1).items] == [a.transfer]
    assert read(e, actor, queries.transfer_detail, b.transfer) is None
    assert [c.id for c, *_ in read(e, actor, queries.list_counts, None, 1).items] == [a.count]
    assert read(e, actor, queries.count_detail, b.count) is None
    assert [code for _, code, _, _ in read(e, actor, queries.list_alerts, "open")] == ["A-ONLY"]
    assert [r.id for r, *_ in read(e, actor, queries.list_reservations, None, None, 1).items] == [a.reservation]

    skus = read(e, actor, catalog_queries.search_skus, "", 1, 50)
    assert [s["code"] for s in skus.items] == ["A-ONLY", "SKU-001", "SKU-002"]
    assert read(e, actor, catalog_queries.search_skus, "B-ONLY", 1, 50).items == []
    assert read(e, actor, catalog_queries.search_skus, "PN-B-ONLY", 1, 50).items == []
    assert read(e, actor, catalog_queries.sku_detail, "B-ONLY") is None


def _b_refs(b: Busy) -> dict[str, int]:
    return {"sku": sku_id(b.ctx, "SKU-001"), "bin": location_id(b.ctx, "MAIN/A/01"),
            "bin2": location_id(b.ctx, "MAIN/A/02"), "north_bin": location_id(b.ctx, "NORTH/B/01")}


def test_services_cannot_touch_another_tenants_rows(pair, subtests):
    a, b = pair
    theirs = _b_refs(b)
    attempts = [
        ("receive their SKU", movements.receive_stock,
         (movements.ReceiveStock(sku=theirs["sku"], location="MAIN/A/01", quantity=1),), "sku"),
        ("receive into their bin", movements.receive_stock,
         (movements.ReceiveStock(sku="SKU-001", location=theirs["bin"], quantity=1),), "location"),
        ("receive their SKU by code", movements.receive_stock,
         (movements.ReceiveStock(sku="B-ONLY", location="MAIN/A/01", quantity=1),), "sku"),
        ("move between their bins", movements.move_stock,
         (movements.MoveStock(sku="SKU-001", from_location=theirs["bin"], to_location=theirs["bin2"], quantity=1),),
         "from_location"),
        ("write off in their bin", movements.write_off_stock,
         (movements.WriteOffStock(sku=theirs["sku"], location=theirs["bin"], quantity=1, reason="theft"),), "sku"),
        ("change status in their bin", movements.change_stock_status,
         (movements.ChangeStockStatus(sku="SKU-001", location=theirs["bin"], quantity=1, from_status="sellable",
                                      to_status="damaged"),), "location"),
        ("reserve their SKU", reservations.reserve_stock,
         (reservations.ReserveStock(sku=theirs["sku"], quantity=1),), "sku"),
        ("reserve in their warehouse", reservations.reserve_stock,
         (reservations.ReserveStock(sku="SKU-001", quantity=1, warehouse=b.world.main),), "warehouse"),
        ("release their hold", reservations.release_reservation, (b.reservation,), "reservation_id"),
        ("consume their hold", reservations.consume_reservation, (b.reservation,), "reservation_id"),
        ("dispatch from their warehouse", transfers.dispatch_transfer,
         (transfers.DispatchTransfer(from_warehouse=b.world.main, to_warehouse="NORTH",
                                     lines=[{"sku": "SKU-001", "from_location": "MAIN/A/01", "quantity": 1}]),),
         "from_warehouse"),
        ("receive their transfer", transfers.receive_transfer,
         (transfers.ReceiveTransfer(transfer_id=b.transfer, lines=[
             {"line_id": b.transfer_line, "quantity": 1, "to_location": "NORTH/B/01"}]),), "transfer_id"),
        ("receive their transfer line", transfers.receive_transfer,
         (transfers.ReceiveTransfer(transfer_id=a.transfer, lines=[
             {"line_id": b.transfer_line, "quantity": 1, "to_location": "NORTH/B/01"}]),), "lines[0].line_id"),
        ("open a count in their warehouse", counts.open_count,
         (counts.OpenCount(warehouse=b.world.main, locations=["MAIN/A"]),), "warehouse"),
        ("record on their count", counts.record_count,
         (counts.RecordCount(count_id=b.count, location="MAIN/A/01", sku="SKU-001", counted=1),), "count_id"),
        ("approve their count", counts.approve_count, (b.count,), "count_id"),
        ("cancel their count", counts.cancel_count, (b.count,), "count_id"),
        ("add a location to their warehouse", warehouses.create_location,
         (warehouses.CreateLocation(warehouse=b.world.main, code="X1"),), "warehouse"),
    ]
    by_keyword = [
        ("barcode their SKU", add_barcode, {"sku": "B-ONLY", "code": "4006381333931", "kind": "ean13"}, "sku"),
        ("rule for their SKU", min_stock.set_min_stock_rule, {"sku": theirs["sku"], "warehouse": "MAIN",
                                                              "minimum": 1}, "sku"),
    ]
    before_a, before_b = tenant_rows(a.ctx), tenant_rows(b.ctx)
    calls = [(what, action, args, {}, field) for what, action, args, field in attempts]
    calls += [(what, action, (), kwargs, field) for what, action, kwargs, field in by_keyword]
    for what, action, args, kwargs, field in calls:
        with subtests.test(what):
            with pytest.raises(NotFound) as info:
                perform(a.ctx.engine, a.ctx.actor, action, *args, **kwargs)
            assert info.value.field == field
    assert tenant_rows(a.ctx) == before_a
    assert tenant_rows(b.ctx) == before_b
    assert_ledger_consistent(a.ctx)
    assert_ledger_consistent(b.ctx)


def test_the_api_with_one_tenants_key_never_shows_nor_changes_another_tenants_rows(pair, client, subtests):
    a, b = pair
    _, key = a.ctx.user("owner")
    api = Api(client, {"Authorization": f"Bearer {key}"})
    theirs = _b_refs(b)
    before_b = tenant_rows(b.ctx)

    not_found = [
        ("GET", "/api/v1/catalog/skus/B-ONLY", None, "code"),
        ("GET", f"{INV}/atp?sku=B-ONLY", None, "sku"),
        ("GET", f"{INV}/atp?sku={theirs['sku']}", None, "sku"),
        ("GET", f"{INV}/transfers/{b.transfer}", None, "transfer_id"),
        ("GET", f"{INV}/counts/{b.count}", None, "count_id"),
        ("GET", f"{INV}/locations/{theirs['bin']}/stock", None, "location"),
        ("GET", f"{INV}/moves?sku=B-ONLY", None, "sku"),
        ("GET", f"{INV}/stock?warehouse={b.world.main}", None, "warehouse"),
        ("POST", f"{INV}/reservations/{b.reservation}/release", None, "reservation_id"),
        ("POST", f"{INV}/reservations/{b.reservation}/consume", None, "reservation_id"),
        ("POST", f"{INV}/counts/{b.count}/approve", None, "count_id"),
        ("POST", f"{INV}/counts/{b.count}/lines", {"location": "MAIN/A/01", "sku": "SKU-001", "counted": 0},
         "count_id"),
        ("POST", f"{INV}/transfers/{b.transfer}/receipts",
         {"lines": [{"line_id": b.transfer_line, "quantity": 1, "to_location": "NORTH/B/01"}]}, "transfer_id"),
        ("POST", f"{INV}/receipts", {"sku": theirs["sku"], "location": "MAIN/A/01", "quantity": 1}, "sku"),
        ("POST", f"{INV}/receipts", {"sku": "SKU-001", "location": theirs["bin"], "quantity": 1}, "location"),
        ("POST", f"{INV}/moves", {"sku": "SKU-001", "from_location": theirs["bin"], "to_location": theirs["bin2"],
                                  "quantity": 1}, "from_location"),
        ("POST", f"{INV}/reservations", {"sku": theirs["sku"], "quantity": 1}, "sku"),
        ("PUT", f"{INV}/min-stock-rules", {"sku": theirs["sku"], "warehouse": "MAIN", "minimum": 1}, "sku"),
    ]
    before_a = tenant_rows(a.ctx)
    for method, url, body, field in not_found:
        with subtests.test(f"{method} {url}"):
            response = api.client.request(method, url, json=body, headers=api.headers)
            assert response.status_code == 404, response.text
            assert response.json()["error"]["type"] == "not_found"
            assert response.json()["error"]["field"] == field
    assert tenant_rows(a.ctx) == before_a
    assert tenant_rows(b.ctx) == before_b

    mine_moves = {m["id"] for m in api.get(f"{INV}/moves", params={"per_page": 500}).json()["items"]}
    assert len(mine_moves) == ledger_size(a.ctx)
    assert api.get(f"{INV}/moves", params={"sku": "SKU-001"}).json()["total"] == 3
    assert [r["id"] for r in api.get(f"{INV}/reservations").json()["items"]] == [a.reservation]
    assert [t["id"] for t in api.get(f"{INV}/transfers").json()["items"]] == [a.transfer]
    assert [x["sku"] for x in api.get(f"{INV}/alerts").json()] == ["A-ONLY"]
    assert [w["id"] for w in api.get(f"{INV}/warehouses").json()] == [a.world.main, a.world.north]
    assert api.get(f"{INV}/warehouses/{b.world.main}/locations").status_code == 404
    assert [v["warehouse_id"] for v in api.get(f"{INV}/value").json()] == [a.world.main, a.world.north]
    assert [s["sku"] for s in api.get(f"{INV}/stock").json()["items"]] == ["A-ONLY", "SKU-001", "SKU-002"]
    assert [s["code"] for s in api.get("/api/v1/catalog/skus").json()["items"]] == ["A-ONLY", "SKU-001", "SKU-002"]
    atp = api.get(f"{INV}/atp", params={"sku": "SKU-001"}).json()
    assert atp["sku_id"] == sku_id(a.ctx, "SKU-001")
    assert atp["on_hand"] == 7  # A's own 10 received, 3 sent into transit


def test_the_same_codes_live_side_by_side_in_two_tenants(pair):
    a, b = pair
    receive(b.ctx, "SKU-001", "MAIN/A/01", 100)
    assert read(a.ctx.engine, a.ctx.actor, queries.stock_for_skus, [sku_id(a.ctx, "SKU-001")])[
        sku_id(a.ctx, "SKU-001")].on_hand == 7
    assert read(b.ctx.engine, b.ctx.actor, queries.stock_for_skus, [sku_id(b.ctx, "SKU-001")])[
        sku_id(b.ctx, "SKU-001")].on_hand == 107
