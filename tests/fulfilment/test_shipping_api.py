"""The shipping JSON API in-process: quotes with explanations, and label downloads."""

from fastapi.testclient import TestClient

from stockyard.core.files import file_store
from stockyard.core.uow import perform
from stockyard.fulfilment import shipments
from tests.conftest import Api, TenantCtx
from tests.factories import receive
from tests.fulfilment.shipping_setup import configure
from tests.fulfilment.test_shipments import Scene, command, make_order, reserve

QUOTE = "/api/v1/shipping/quote"


def body(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {"address": {"country": "DE", "postcode": "10115"},
                                 "lines": [{"sku": "BULKY", "quantity": 1}], "order_value": "50.00",
                                 "currency": "EUR"}
    values.update(changes)
    return values


def test_quote_lists_options_with_explanations(tenant: TenantCtx, api: Api) -> None:
    configure(tenant)
    response = api.post(QUOTE, body())
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["zone"] == "Germany"
    assert [(o["code"], o["cost"]) for o in found["options"]] == [("STD", "6.90"), ("EXP", "14.50")]
    standard = found["options"][0]
    assert standard["carrier"] == {"code": "dhl", "name": "DHL"}
    assert standard["explanation"][1] == "chargeable weight 2,400 g (dimensional 2,400 g > actual 1,800 g)"
    assert len(standard["promised_date"]) == 10
    assert found["not_offered"] == []  # the owner may view settings, so sees the reasons (none here)


def test_quote_refuses_an_address_outside_every_zone(tenant: TenantCtx, api: Api) -> None:
    configure(tenant)
    response = api.post(QUOTE, body(address={"country": "FR", "postcode": "75001"}))
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "shipping_address"
    assert response.json()["error"]["message"] == "we do not ship to FR 75001"
    unknown = api.post(QUOTE, body(lines=[{"sku": "NOPE", "quantity": 1}]))
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "lines[0].sku"
    assert api.post(QUOTE, body(lines=[{"sku": "BULKY", "quantity": 0}])).status_code == 422


def test_quote_needs_no_staff_permission_but_a_tenant(tenant: TenantCtx, client: TestClient) -> None:
    configure(tenant)
    _, key = tenant.user("warehouse_operator")  # no settings.view
    response = client.post(QUOTE, json=body(), headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert "not_offered" not in response.json()
    assert client.post(QUOTE, json=body()).status_code == 401


def test_label_download(tenant: TenantCtx, api: Api, client: TestClient) -> None:
    s = configure(tenant)
    receive(tenant, "LIGHT", "MAIN/A/01", 5)
    receive(tenant, "BULKY", "MAIN/A/02", 5)
    order_id, lines = make_order(tenant, s, {"LIGHT": 2, "BULKY": 1})
    store = file_store(client.app.state.settings)
    sc = Scene(tenant, s, store, order_id, lines)  # type: ignore[arg-type]
    holds = {"LIGHT": reserve(tenant, "LIGHT", 2), "BULKY": reserve(tenant, "BULKY", 1)}
    shipment_id = perform(tenant.engine, tenant.actor, shipments.create_shipment, command(sc, holds), store)
    response = api.get(f"/api/v1/shipments/{shipment_id}/label")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="label-DHL0000000001.pdf"' in response.headers["content-disposition"]
    assert api.get(f"/api/v1/shipments/{shipment_id + 10_000}/label").status_code == 404
    _, key = tenant.user("warehouse_operator")  # ships, though it does not see orders
    reprint = client.get(f"/api/v1/shipments/{shipment_id}/label", headers={"Authorization": f"Bearer {key}"})
    assert reprint.status_code == 200 and reprint.content == response.content
    assert client.get(f"/api/v1/shipments/{shipment_id}/label").status_code == 401
