"""CSV order upload, on both backends: rows grouped into orders by order_id, each order all-or-nothing, a report
naming the line and column of every bad row, orders received before refused, a file that is not CSV refused as a
whole."""

from fastapi.testclient import TestClient

from stockyard.sales.models import Order
from tests.conftest import Api, TenantCtx, new_tenant
from tests.integration.channels.support import connect, count, counts
from tests.sales.order_fixtures import atp, detail
from tests.sales.shop_setup import build_shop

HEADER = "order_id,order_number,email,customer_id,customer_name,sku,quantity,unit_price,ship_line1,ship_city," \
         "ship_postcode,ship_country,shipping_code,shipping_total,payment_status\n"


def _upload(api: Api, connection_id: int, text: str):  # noqa: ANN202
    return api.client.post(f"/api/v1/channels/connections/{connection_id}/orders.csv", content=text.encode(),
                           headers={**api.headers, "Content-Type": "text/csv"})


def test_rows_become_orders_and_bad_orders_are_reported_by_line(tenant: TenantCtx, api: Api) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    text = HEADER + (
        "M-1,1001,anna@example.com,C-1,Anna,SKU-001,2,9.00,Weg 1,Hamburg,20095,DE,DHL-STD,4.90,paid\n"   # line 2
        "M-2,1002,bert@example.com,,Bert,SKU-002,1,25.00,Weg 2,Hamburg,20095,DE,,0,pending\n"            # line 3
        "M-1,,,,,SKU-002,1,24.00,,,,,,,\n"                                                              # line 4
        "M-3,1003,carl@example.com,,Carl,SKU-001,zwei,9.00,Weg 3,Hamburg,20095,DE,,,\n"                  # line 5
        "M-4,1004,dora@example.com,,Dora,NOPE,1,9.00,Weg 4,Hamburg,20095,DE,,,\n"                        # line 6
        "M-4,,,,,SKU-001,1,9.00,,,,,,,\n"                                                               # line 7
        "M-5,1005,emil@example.com,,Emil,SKU-001,1,9.00,Weg 5,Hamburg,20095,DE,,,\n"                     # line 8
        "M-5,,other@example.com,,,SKU-002,1,9.00,,,,,,,\n")                                             # line 9
    response = _upload(api, site.connection_id, text)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["orders"] == 5
    assert [c["external_id"] for c in report["created"]] == ["M-1", "M-2"]
    assert report["rows"] == [
        {"line": 5, "field": "quantity", "message": "'zwei' is not a whole number"},
        {"line": 6, "field": "sku", "message": "unknown SKU NOPE"},
        {"line": 9, "field": "email", "message": "differs from the order's first row (line 8)"}]
    assert report["refused"] == ["M-3", "M-4", "M-5"]
    m1 = detail(shop, report["created"][0]["number"])
    assert m1.source == "csv" and m1.status == "allocated"
    assert [(line.sku_code, line.quantity, str(line.unit_price)) for line in m1.lines] == [
        ("SKU-001", 2, "9.0000"), ("SKU-002", 1, "24.0000")]
    assert str(m1.shipping_total) == "4.9000"
    assert detail(shop, report["created"][1]["number"]).status == "awaiting_payment"
    # M-4 wrote nothing: SKU-001 went to M-1 (2) only, SKU-002 to M-1 and M-2.
    assert (atp(shop, "SKU-001"), atp(shop, "SKU-002")) == (3, 1)


def test_an_order_uploaded_twice_is_reported_not_doubled(tenant: TenantCtx, api: Api) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    text = HEADER + "M-1,1001,anna@example.com,,Anna,SKU-001,1,9.00,Weg 1,Hamburg,20095,DE,,,\n"
    assert _upload(api, site.connection_id, text).status_code == 200
    again = _upload(api, site.connection_id, text)
    assert again.status_code == 422
    [row] = again.json()["rows"]
    assert row["line"] == 2 and row["field"] == "order_id" and "received already" in row["message"]
    assert count(shop, Order) == 1


def test_a_file_without_the_required_columns_changes_nothing(tenant: TenantCtx, api: Api) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    response = _upload(api, site.connection_id, "order,mail\nM-1,a@example.com\n")
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "invalid_rows"
    assert counts(shop) == (0, 0, 0, 0)


def test_uploading_needs_orders_place_and_the_tenants_own_connection(tenant: TenantCtx, api: Api,
                                                                     client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    _, key = tenant.user("read_only")
    text = HEADER + "M-1,1001,anna@example.com,,Anna,SKU-001,1,9.00,Weg 1,Hamburg,20095,DE,,,\n"
    refused = client.post(f"/api/v1/channels/connections/{site.connection_id}/orders.csv", content=text.encode(),
                          headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 403
    other = build_shop(new_tenant(tenant.engine))
    foreign = connect(other, "generic")
    assert _upload(api, foreign.connection_id, text).status_code == 404
    assert count(shop, Order) == 0 and count(other, Order) == 0



def test_the_file_may_come_as_json_text(tenant: TenantCtx, api: Api) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "generic")
    text = HEADER + "J-1,1001,anna@example.com,,Anna,SKU-002,2,25.00,Weg 1,Hamburg,20095,DE,,,pending\n"
    response = api.post(f"/api/v1/channels/connections/{site.connection_id}/orders.csv", json={"csv": text})
    assert response.status_code == 200 and [c["external_id"] for c in response.json()["created"]] == ["J-1"]
    assert atp(shop, "SKU-002") == 1
    refused = api.post(f"/api/v1/channels/connections/{site.connection_id}/orders.csv", json={"file": text})
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "csv"
