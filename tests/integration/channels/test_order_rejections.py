"""A site's order we refuse is answered to the site, and also kept for a person: listed on the connection's sync
dashboard and counted in the exception queue until the site sends the order again and it is taken. A repeat of an
order already taken is no rejection, and a tenant never sees another's."""

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.analytics.exception_kpis import exception_queue
from stockyard.analytics.kpi import Period
from stockyard.core.uow import read
from stockyard.integration.channels.models import ChannelOrderRejection
from stockyard.integration.channels.rejections import open_rejections
from tests.conftest import TenantCtx, new_tenant
from tests.integration.channels.support import connect, fixture
from tests.sales.shop_setup import build_shop
from tests.web.test_pages import Staff, new_client, sign_in  # noqa: F401  (fixtures)


def _refused_queue(ctx: TenantCtx) -> float:
    today = date.today()
    period = Period(start=today - timedelta(days=6), end=today, bucket="day",
                    filters={"kind": "refused channel order"})
    return read(ctx.engine, ctx.actor, exception_queue, period).value


def test_a_refused_order_waits_for_a_person_until_the_site_sends_it_again(tenant: TenantCtx, client: TestClient,
                                                                           sign_in) -> None:  # noqa: ANN001, F811
    shop = build_shop(tenant)
    site = connect(shop, "shopify")
    payload = fixture("shopify_order.json")
    good_sku = payload["line_items"][1]["sku"]
    payload["line_items"][1]["sku"] = "NO-SUCH-SKU"
    assert site.post(client, payload).status_code == 422

    [refused] = read(tenant.engine, tenant.actor, open_rejections, site.connection_id)
    assert (refused.external_order_id, refused.received_via, refused.field) == (
        str(payload["id"]), "webhook", "lines[1].sku")
    assert "NO-SUCH-SKU" in refused.message
    assert _refused_queue(tenant) == 1
    page = sign_in("owner").get(f"/admin/channels/connections/{site.connection_id}/sync")
    assert page.status_code == 200
    refused_section = page.text.split('id="refused-orders"')[1].split("</section>")[0]
    assert str(payload["id"]) in refused_section and "NO-SUCH-SKU" in refused_section

    payload["line_items"][1]["sku"] = good_sku
    assert site.post(client, payload).status_code == 201
    assert read(tenant.engine, tenant.actor, open_rejections, site.connection_id) == []
    assert _refused_queue(tenant) == 0
    with tenant.engine.connect() as conn:
        kept = conn.execute(select(ChannelOrderRejection.__table__.c.resolved_at).where(
            ChannelOrderRejection.__table__.c.tenant_id == tenant.tenant_id)).scalars().all()
    assert len(kept) == 1 and kept[0] is not None  # the history stays, resolved


def test_a_repeated_order_is_no_rejection_and_tenants_see_only_their_own(tenant: TenantCtx,
                                                                         client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "shopify")
    assert site.post(client, fixture("shopify_order.json")).status_code == 201
    assert site.post(client, fixture("shopify_order.json")).status_code == 409
    assert read(tenant.engine, tenant.actor, open_rejections, site.connection_id) == []

    bad = fixture("shopify_order.json")
    bad["id"] = 777
    bad["line_items"][0]["quantity"] = 0
    assert site.post(client, bad).status_code == 422
    other = new_tenant(tenant.engine)
    assert len(read(tenant.engine, tenant.actor, open_rejections, site.connection_id)) == 1
    assert read(other.engine, other.actor, open_rejections, site.connection_id) == []
    assert _refused_queue(other) == 0


def test_a_site_retrying_a_refused_order_keeps_one_open_rejection(tenant: TenantCtx, client: TestClient) -> None:
    shop = build_shop(tenant)
    site = connect(shop, "shopify")
    payload = fixture("shopify_order.json")
    payload["line_items"][0]["sku"] = "NO-SUCH-SKU"
    for _ in range(3):  # the platform retries a webhook that was not accepted
        assert site.post(client, payload).status_code == 422
    [refused] = read(tenant.engine, tenant.actor, open_rejections, site.connection_id)
    assert refused.field == "lines[0].sku"
    assert _refused_queue(tenant) == 1
