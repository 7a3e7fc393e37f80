"""A shop (tests/sales/shop_setup.py) with a connected external site, and helpers to post its signed webhooks.

    site = connect(build_shop(tenant), "shopify")
    response = site.post(client, payload)         # signed as the platform signs
    site.post(client, payload, secret="wrong")    # forged
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.core.uow import perform
from stockyard.integration.channels.adapters.orders import order_adapter
from stockyard.integration.channels.connections import ConnectionIn, create_connection, webhook_path
from stockyard.integration.channels.models import ChannelCustomerLink, ChannelOrderRef
from stockyard.sales.models import Customer, Order
from tests.sales.shop_setup import Shop

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


@dataclass
class Site:
    shop: Shop
    connection_id: int
    secret: str
    adapter: str

    def post(self, client: TestClient, payload: Any, *, secret: str | None = None, now: float | None = None,
             headers: dict[str, str] | None = None) -> Any:
        body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
        signed = order_adapter(self.adapter).sign(body, secret or self.secret, now)
        return client.post(webhook_path(self.connection_id), content=body,
                           headers={"Content-Type": "application/json", **signed, **(headers or {})})


def connect(shop: Shop, adapter: str, *, base_url: str | None = None, poll: bool = False,
            api_token: str = "") -> Site:
    created = perform(shop.ctx.engine, shop.ctx.actor, create_connection, ConnectionIn(
        channel_id=shop.channel_id, name=f"{adapter} store", adapter=adapter,
        base_url=base_url or f"https://{adapter}.{shop.ctx.slug}.example", poll_orders=poll, api_token=api_token))
    return Site(shop, created.id, created.webhook_secret, adapter)


def count(shop: Shop, model: Any) -> int:
    table = model.__table__
    with shop.ctx.uow() as uow:
        return uow.conn.execute(select(func.count()).select_from(table).where(
            table.c.tenant_id == uow.tenant_id)).scalar_one()


def counts(shop: Shop) -> tuple[int, int, int, int]:
    """(orders, customers, customer links, order refs) of the shop's tenant."""
    return (count(shop, Order), count(shop, Customer), count(shop, ChannelCustomerLink),
            count(shop, ChannelOrderRef))
