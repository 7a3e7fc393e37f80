"""The phone pages at /m, through HTTP as a signed-in operator: sign in with next=/m, choose the warehouse, walk each
workflow scan by scan, and see bad scans refused on the step where they were made, with nothing changed."""

import html
import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import TenantCtx
from tests.factories import receive
from tests.inventory.support import level, tenant_rows
from tests.web.mobile.support import EAN, Floor, build_floor

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ALERT = re.compile(r'role="alert"[^>]*>✖ ([^<]+)<')
STATUS = re.compile(r'role="status">✔ ([^<]+)<')


@dataclass
class Phone:
    client: TestClient
    csrf: str

    def get(self, url: str, **params: str) -> Response:
        return self.client.get(url, params=params or None, follow_redirects=False)

    def post(self, url: str, data: dict[str, str]) -> Response:
        return self.client.post(url, data={**data, "csrf_token": self.csrf}, follow_redirects=False)

    def done(self, url: str, data: dict[str, str]) -> str:
        """Posts the last step; returns the success message shown on the page it redirects to."""
        response = self.post(url, data)
        assert response.status_code == 303, ALERT.findall(response.text) or response.text[:500]
        shown = self.get(response.headers["location"])
        return html.unescape(STATUS.findall(shown.text)[0])


@pytest.fixture
def floor(tenant: TenantCtx) -> Floor:
    return build_floor(tenant)


def sign_in(tenant: TenantCtx, client: TestClient, role: str = "warehouse_operator",
            warehouse_ids: list[int] | None = None) -> Phone:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    tenant.user(role, email=email, password=PASSWORD, warehouse_ids=warehouse_ids)
    token = CSRF.search(client.get("/login", params={"next": "/m"}).text)[1]
    response = client.post("/login", data={"tenant": tenant.slug, "email": email, "password": PASSWORD,
                                           "csrf_token": token, "next": "/m"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/m"
    return Phone(client, "")


@pytest.fixture
def phone(tenant: TenantCtx, client: TestClient, floor: Floor) -> Phone:
    signed = sign_in(tenant, TestClient(client.app), warehouse_ids=[floor.world.main])
    home = signed.get("/m")
    # limited to one warehouse, the operator goes straight to its menu
    assert home.status_code == 303 and home.headers["location"] == "/m/MAIN"
    menu = signed.get("/m/MAIN")
    assert "Receive" in menu.text and "Count" in menu.text
    signed.csrf = CSRF.search(menu.text)[1]
    return signed


def alert(response: Response) -> str:
    return html.unescape(ALERT.findall(response.text)[0])


def test_a_signed_out_phone_is_sent_to_sign_in_and_back(client: TestClient) -> None:
    response = TestClient(client.app).get("/m/MAIN/receive", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/m/MAIN/receive"


def test_choose_among_my_warehouses(tenant: TenantCtx, client: TestClient, floor: Floor) -> None:
    signed = sign_in(tenant, TestClient(client.app))
    page = signed.get("/m")
    assert page.status_code == 200
    assert re.findall(r'href="/m/(\w+)"', page.text) == ["MAIN", "NORTH"]
    limited = sign_in(tenant, TestClient(client.app), warehouse_ids=[floor.world.north])
    assert limited.get("/m/MAIN").status_code == 403
    assert "may not work in warehouse" in limited.get("/m/MAIN/move").text


def test_receive_a_purchase_order_then_put_away(tenant: TenantCtx, phone: Phone, floor: Floor) -> None:
    step = phone.get("/m/MAIN/receive")
    assert "Scan the purchase order number" in step.text
    step = phone.get("/m/MAIN/receive", po=floor.po_number)
    assert f"Scan an item of {floor.po_number}" in step.text
    step = phone.get("/m/MAIN/receive", po=floor.po_number, sku=EAN)
    assert "How many × SKU-001 arrived?" in step.text
    assert 'value="MAIN/DOCK"' in step.text  # the receiving dock is where the goods land
    message = phone.done("/m/MAIN/receive", {"po": floor.po_number, "sku": "SKU-001", "quantity": "5",
                                             "location": "MAIN/DOCK"})
    assert message == f"Received 5 × SKU-001 on {floor.po_number} into MAIN/DOCK"
    assert level(tenant, "SKU-001", "MAIN/DOCK") == (5, 0)

    step = phone.get("/m/MAIN/putaway", sku=EAN)
    assert "MAIN/DOCK · 5 waiting" in step.text
    assert "Take them to MAIN/A/01 and scan the bin" in step.text
    message = phone.done("/m/MAIN/putaway", {"sku": "SKU-001", "from_location": "MAIN/DOCK", "quantity": "5",
                                             "to_location": "MAIN/A/02"})
    assert message == "Put away 5 × SKU-001 from MAIN/DOCK to MAIN/A/02"
    assert level(tenant, "SKU-001", "MAIN/A/02") == (5, 0)


def test_blind_receipt_move_write_off_transfer_and_count(tenant: TenantCtx, client: TestClient,
                                                         floor: Floor) -> None:
    manager = sign_in(tenant, TestClient(client.app), "warehouse_manager")
    manager.csrf = CSRF.search(manager.get("/m/MAIN").text)[1]
    assert "Scan the item that arrived" in manager.get("/m/MAIN/receive/blind").text
    assert manager.done("/m/MAIN/receive", {"sku": "SKU-002", "quantity": "6", "location": "MAIN/A/01"}) == \
        "Received 6 × SKU-002 into MAIN/A/01 (blind receipt)"
    assert "6 on hand here" in manager.get("/m/MAIN/move", location="MAIN/A/01", sku="SKU-002").text
    assert manager.done("/m/MAIN/move", {"from_location": "MAIN/A/01", "sku": "SKU-002", "quantity": "2",
                                         "to_location": "MAIN/A/02"}) == \
        "Moved 2 × SKU-002 from MAIN/A/01 to MAIN/A/02"
    assert manager.done("/m/MAIN/write-off", {"location": "MAIN/A/02", "sku": "SKU-002", "quantity": "1",
                                              "reason": "damaged", "note": "forklift"}) == \
        "Wrote off 1 × SKU-002 at MAIN/A/02 (damaged)"
    message = manager.done("/m/MAIN/transfer/send", {"location": "MAIN/A/01", "sku": "SKU-002", "quantity": "3",
                                                     "to_warehouse": "NORTH"})
    transfer = re.search(r"TR-(\d+)", message)[1]  # type: ignore[index]
    assert f"TR-{transfer}" in manager.get("/m/NORTH/transfer/receive").text
    assert "3 in transit" in manager.get("/m/NORTH/transfer/receive", transfer=f"TR-{transfer}", sku="SKU-002").text
    assert manager.done("/m/NORTH/transfer/receive", {"transfer": f"TR-{transfer}", "sku": "SKU-002",
                                                      "quantity": "3", "to_location": "NORTH/B/01"}) == \
        f"Received 3 × SKU-002 of TR-{transfer} into NORTH/B/01"
    assert level(tenant, "SKU-002", "NORTH/B/01") == (3, 0)

    opened = manager.post("/m/MAIN/count/open", {"location": "MAIN/A/01"})
    assert opened.status_code == 303
    count = re.search(r"count=CNT-(\d+)", opened.headers["location"])[1]  # type: ignore[index]
    assert "Scan an item at MAIN/A/01" in manager.get(opened.headers["location"]).text
    assert manager.done("/m/MAIN/count", {"count": f"CNT-{count}", "location": "MAIN/A/01", "sku": "SKU-002",
                                          "counted": "0"}) == f"Counted 0 × SKU-002 at MAIN/A/01 on CNT-{count}"
    assert level(tenant, "SKU-002", "MAIN/A/01") == (1, 0)  # a count changes stock only when approved


def test_bad_scans_are_refused_on_the_phone_and_change_nothing(tenant: TenantCtx, phone: Phone,
                                                               floor: Floor) -> None:
    receive(tenant, "SKU-001", "MAIN/A/01", 3)
    before = tenant_rows(tenant)
    unknown = phone.get("/m/MAIN/receive", po=floor.po_number, sku="0000000000000")
    assert unknown.status_code == 404
    assert alert(unknown) == "unknown barcode '0000000000000': no item has this code"
    assert 'data-feedback="error"' in unknown.text
    not_on_order = phone.get("/m/MAIN/receive", po=floor.po_number, sku="SKU-003")
    assert not_on_order.status_code == 422
    assert alert(not_on_order) == f"SKU-003 is not on purchase order {floor.po_number}"
    elsewhere = phone.get("/m/MAIN/move", location="NORTH/B/01")
    assert elsewhere.status_code == 422
    assert alert(elsewhere) == "location NORTH/B/01 is not in the chosen warehouse"
    too_many = phone.post("/m/MAIN/receive", {"po": floor.po_number, "sku": "SKU-002", "quantity": "3",
                                              "location": "MAIN/DOCK"})
    assert too_many.status_code == 422
    assert alert(too_many).startswith("more than ordered: only 2 of 2 × SKU-002")
    short = phone.post("/m/MAIN/move", {"from_location": "MAIN/A/01", "sku": "SKU-001", "quantity": "4",
                                        "to_location": "MAIN/A/02"})
    assert short.status_code == 409
    assert alert(short) == "only 3 free at MAIN/A/01 (sellable; on hand 3, reserved 0); 4 needed"
    to_elsewhere = phone.post("/m/MAIN/move", {"from_location": "MAIN/A/01", "sku": "SKU-001", "quantity": "1",
                                               "to_location": "NORTH/B/01"})
    assert to_elsewhere.status_code == 422
    assert alert(to_elsewhere) == "location NORTH/B/01 is not in the chosen warehouse"
    nothing_waiting = phone.get("/m/MAIN/putaway", sku="SKU-002")
    assert nothing_waiting.status_code == 409
    assert alert(nothing_waiting) == "no units of SKU-002 wait at a receiving location of MAIN"
    assert tenant_rows(tenant) == before
