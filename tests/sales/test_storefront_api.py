"""The headless storefront API end to end: add to cart, quote, place order and pay; the buyer gets the same
confirmation e-mail as in the shop's pages, once, even when the request is replayed."""

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from stockyard.core.mail import stored_mail
from stockyard.core.settings import Settings
from stockyard.integration.dispatch import drain
from tests.conftest import TenantCtx
from tests.sales.shop_setup import Shop, build_shop

API = "/api/v1/storefront"


@pytest.fixture
def shop(tenant: TenantCtx) -> Shop:
    return build_shop(tenant)


def test_an_order_placed_through_the_api_is_confirmed_by_mail_once(shop: Shop, client: TestClient) -> None:
    headers = {"Host": shop.domain}
    added = client.post(f"{API}/carts", json={"sku": "SKU-001", "quantity": 2}, headers=headers)
    assert added.status_code == 201
    token = added.json()["token"]
    address = shop.address().model_dump()
    options = client.post(f"{API}/carts/{token}/shipping-options", json=address, headers=headers)
    assert options.status_code == 200 and options.json()
    email = f"api-{uuid.uuid4().hex[:8]}@example.com"  # mail files outlive the test database
    body = {"idempotency_key": uuid.uuid4().hex, "email": email, "shipping_address": address,
            "shipping_method_id": options.json()[0]["method_id"], "payment_method_id": shop.card_method_id,
            "card": shop.card()}
    placed = client.post(f"{API}/carts/{token}/orders", json=body, headers=headers)
    assert placed.status_code == 201 and placed.json()["status"] == "allocated"
    replayed = client.post(f"{API}/carts/{token}/orders", json=body, headers=headers)
    assert replayed.json()["number"] == placed.json()["number"] and replayed.json()["replayed"]
    mailbox = Path("var-test") / "mail"
    assert not [m for m in stored_mail(mailbox, shop.ctx.tenant_id) if m.to == email]  # not sent by the web process
    # The consumer of order.placed.v1 sends the mail.
    drain(shop.ctx.engine, tenant_id=shop.ctx.tenant_id, settings=Settings(var_dir=Path("var-test")))
    mails = [m for m in stored_mail(mailbox, shop.ctx.tenant_id) if m.to == email]
    assert len(mails) == 1 and placed.json()["number"] in mails[0].subject
