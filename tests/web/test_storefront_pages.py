"""The storefront pages, in-process over HTTP: the shop is chosen by the Host header (or the configured fallback),
pages render with stock labels and filters, an out-of-stock item offers its in-stock equivalent, and one tenant's
shop never shows another tenant's products."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, select

from stockyard.catalog import pricing
from stockyard.catalog.images import upload_image
from stockyard.catalog.models import Sku
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.db import create_db_engine
from stockyard.core.files import file_store
from stockyard.core.migrate import upgrade
from stockyard.core.settings import Settings
from stockyard.core.uow import perform
from stockyard.demo import build_demo
from stockyard.web.app import create_app
from tests.catalog.storefront_support import ShopWorld, build_shop, set_backorderable
from tests.conftest import TenantCtx, new_tenant

CARD = re.compile(r'<article class="card" data-sku="([^"]+)">(.*?)</article>', re.S)
LABEL = re.compile(r'<span class="stock stock-[a-z_]+">([^<]+)</span>')


@pytest.fixture
def world(tenant: TenantCtx) -> ShopWorld:
    return build_shop(tenant, domain=f"{tenant.slug}.shop.test")


def host(world: ShopWorld) -> dict[str, str]:
    return {"host": f"{world.ctx.slug}.shop.test"}


def cards(html: str) -> dict[str, str]:
    """SKU code → its stock label, for every product card on the page, in page order."""
    out = {}
    for code, body in CARD.findall(html):
        label = LABEL.search(body)
        out[code] = label.group(1) if label else ""
    return out


def own_app(engine: Engine, tmp_path: Path, **settings: str) -> TestClient:
    return TestClient(create_app(Settings(secret_key="test-secret", var_dir=tmp_path, **settings), engine,
                                 run_jobs=False))


def test_home_page_shows_categories_brands_and_new_items(world: ShopWorld, client: TestClient) -> None:
    response = client.get("/", headers=host(world))
    assert response.status_code == 200
    html = response.text
    assert world.shop.name in html
    assert f'href="/c/{world.categories["Brakes"]}"' in html and f'href="/c/{world.categories["Filters"]}"' in html
    assert 'action="/search"' in html and 'href="/cart"' in html and 'href="/my/login"' in html
    assert set(cards(html)) <= set(world.skus) and cards(html)


def test_category_page_with_stock_labels_and_subcategories(world: ShopWorld, client: TestClient) -> None:
    set_backorderable(world.ctx, "BOS-0986494")
    response = client.get(f"/c/{world.categories['Brakes']}", headers=host(world))
    assert response.status_code == 200
    assert cards(response.text) == {"BRM-09A82711": "In stock", "BRM-P85020": "In stock",
                                    "BOS-0986494": "Backorderable", "TRW-GDB1550": "Only 3 left"}
    assert f'href="/c/{world.categories["Pads"]}"' in response.text
    assert "4 products" in response.text
    oil = client.get(f"/c/{world.categories['Oil']}", headers=host(world))
    assert cards(oil.text) == {"MANN-W712-75": "In stock", "BOS-F026407": "Out of stock"}


def test_filters_are_a_get_form_and_keep_their_state(world: ShopWorld, client: TestClient) -> None:
    position = world.attributes["Position"]
    url = f"/c/{world.categories['Brakes']}?attr.{position}=front&in_stock=1&sort=price_desc"
    html = client.get(url, headers=host(world)).text
    assert list(cards(html)) == ["BRM-09A82711", "BRM-P85020"]
    assert re.search(rf'name="attr\.{position}" value="front" checked', html)
    assert re.search(r'name="in_stock" value="1" checked', html)
    assert '<strong aria-current="true">Price, high to low</strong>' in html
    brand = client.get(f"/c/{world.categories['Brakes']}?price_min=30&price_max=40", headers=host(world))
    assert list(cards(brand.text)) == ["BOS-0986494"]
    bad = client.get(f"/c/{world.categories['Brakes']}?price_min=cheap", headers=host(world))
    assert bad.status_code == 422 and "The lowest price must be a number" in bad.text
    assert client.get("/search?q=brake&sort=random", headers=host(world)).status_code == 422


def test_paging_links(world: ShopWorld, client: TestClient) -> None:
    first = client.get("/search?sort=price_asc", headers=host(world)).text
    assert len(cards(first)) == 6 and 'rel="next"' not in first
    # 20 per page: add 20 more priced SKUs to get a second page
    for n in range(20):
        code = f"BULK-{n:02d}"
        perform(world.ctx.engine, world.ctx.actor, create_product,
                CreateProduct(name=f"Bulk part {n}", category="Filters/Oil", skus=[{"code": code}]))
        perform(world.ctx.engine, world.ctx.actor, pricing.set_sku_prices, world.price_list_id,
                pricing.SetSkuPrices(sku=code, tiers=[{"min_quantity": 1, "unit_price": Decimal(100 + n)}]))
    page1 = client.get("/search?sort=price_asc", headers=host(world)).text
    assert len(cards(page1)) == 20 and "Page 1 of 2" in page1
    next_link = re.search(r'rel="next" href="([^"]+)"', page1)
    assert next_link is not None
    page2 = client.get(next_link.group(1).replace("&amp;", "&"), headers=host(world)).text
    assert list(cards(page2)) == [f"BULK-{n}" for n in range(14, 20)]  # after the 6 cheaper parts and 14 more


def test_search_page_ranks_the_exact_code_first(world: ShopWorld, client: TestClient) -> None:
    response = client.get("/search", params={"q": "BRM-P85020"}, headers=host(world))
    assert response.status_code == 200
    assert list(cards(response.text))[0] == "BRM-P85020"
    assert 'value="BRM-P85020"' in response.text  # the search box keeps the query


def test_product_page(world: ShopWorld, client: TestClient) -> None:
    response = client.get("/p/BRM-P85020", headers=host(world))
    assert response.status_code == 200
    html = response.text
    assert "Brake pad set, front" in html and "5Q0698151B" in html
    assert "42.50 EUR" in html and "38.25 EUR" in html  # the tier from 10 units
    assert "12 available, ships within 1 working day from Main" in html
    assert 'action="/cart/lines"' in html and 'name="sku" value="BRM-P85020"' in html
    assert re.search(r'name="csrf_token" value="[^"]{20,}"', html)
    assert "Position" in html and "front" in html
    assert "Same part from other brands" in html and 'data-sku="BOS-0986494"' in html
    old = client.get("/p/BOS-F026407", headers=host(world)).text
    assert "Superseded by" in old and 'href="/p/MANN-W712-75"' in old


def test_out_of_stock_item_offers_its_in_stock_equivalent(world: ShopWorld, client: TestClient) -> None:
    html = client.get("/p/BOS-0986494", headers=host(world)).text
    offer = re.search(r'<aside class="offer".*?</aside>', html, re.S)
    assert offer is not None
    assert "the same part from Brembo is in stock" in offer.group(0)
    assert 'data-sku="BRM-P85020"' in offer.group(0) and 'name="sku" value="BRM-P85020"' in offer.group(0)
    assert cards(offer.group(0)) == {"BRM-P85020": "In stock"}
    assert '<button type="submit">Add to cart</button>' not in html  # nothing to sell of the item itself
    in_stock = client.get("/p/BRM-P85020", headers=host(world)).text
    assert 'class="offer"' not in in_stock


def test_the_host_chooses_the_shop(world: ShopWorld, client: TestClient, engine: Engine) -> None:
    other = build_shop(new_tenant(engine), domain=f"shop-{world.ctx.slug}.other.test")
    mine = client.get("/p/BRM-P85020", headers=host(world))
    theirs = client.get("/p/BRM-P85020", headers={"host": f"shop-{world.ctx.slug}.other.test:8443"})
    assert world.shop.name in mine.text and other.shop.name not in mine.text
    assert other.shop.name in theirs.text and world.shop.name not in theirs.text


def test_unknown_host_falls_back_to_the_configured_shop(world: ShopWorld, engine: Engine, tmp_path: Path) -> None:
    with own_app(engine, tmp_path, storefront_tenant=world.ctx.slug, storefront_channel="WEB") as shop:
        response = shop.get("/", headers={"host": "anything.example"})
        assert response.status_code == 200 and world.shop.name in response.text
    with own_app(engine, tmp_path, storefront_tenant="no-such-tenant") as nowhere:
        for path in ("/", "/search?q=brake", f"/c/{world.categories['Brakes']}", "/p/BRM-P85020"):
            response = nowhere.get(path, headers={"host": "anything.example"})
            assert response.status_code == 404
            assert "No shop here" in response.text


def test_a_shop_never_shows_another_tenants_products(world: ShopWorld, client: TestClient, engine: Engine) -> None:
    other_ctx = new_tenant(engine)
    other = build_shop(other_ctx, domain=f"{other_ctx.slug}.shop.test")
    perform(engine, other_ctx.actor, create_product, CreateProduct(name="Secret ceramic kit", category="Brakes/Pads",
                                                                   skus=[{"code": "SECRET-9"}]))
    perform(engine, other_ctx.actor, pricing.set_sku_prices, other.price_list_id,
            pricing.SetSkuPrices(sku="SECRET-9", tiers=[{"min_quantity": 1, "unit_price": "5"}]))
    assert client.get("/p/SECRET-9", headers=host(other)).status_code == 200
    assert client.get("/p/SECRET-9", headers=host(world)).status_code == 404
    assert "SECRET-9" not in client.get("/search?q=secret", headers=host(world)).text
    assert client.get(f"/c/{other.categories['Brakes']}", headers=host(world)).status_code == 404
    everything = client.get("/search?sort=name", headers=host(world)).text
    assert "SECRET-9" not in everything and len(cards(everything)) == 6


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


def test_product_images_are_served_to_the_shop_of_their_tenant(world: ShopWorld, client: TestClient,
                                                               engine: Engine) -> None:
    state = client.app.state  # type: ignore[attr-defined]
    store = getattr(state, "file_store", None) or file_store(state.settings)  # what the app serves from
    with world.ctx.uow() as uow:
        product_id = uow.execute(select(Sku.product_id).where(Sku.code == "BRM-P85020")).scalar_one()
    image_id = upload_image(engine, world.ctx.actor, store, product_id, _png(), "Pads, front view",
                            max_bytes=10**7, max_pixels=10**7)
    page = client.get("/p/BRM-P85020", headers=host(world)).text
    assert f'src="/shop/images/{image_id}/medium"' in page and 'alt="Pads, front view"' in page
    listing = client.get(f"/c/{world.categories['Pads']}", headers=host(world)).text
    assert f'src="/shop/images/{image_id}/small"' in listing
    image = client.get(f"/shop/images/{image_id}/small", headers=host(world))
    assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
    other = build_shop(new_tenant(engine), domain=f"img-{world.ctx.slug}.shop.test")
    other_host = {"host": f"img-{world.ctx.slug}.shop.test"}
    assert other.shop.name in client.get("/", headers=other_host).text
    assert client.get(f"/shop/images/{image_id}/small", headers=other_host).status_code == 404


def test_browsing_starts_no_session_but_a_product_page_with_its_cart_form_does(world: ShopWorld, engine: Engine,
                                                                              tmp_path: Path) -> None:
    with own_app(engine, tmp_path, storefront_tenant=world.ctx.slug) as visitor:
        for path in ("/", f"/c/{world.categories['Brakes']}", "/search?q=brake"):
            response = visitor.get(path)
            assert response.status_code == 200 and "set-cookie" not in response.headers
        product = visitor.get("/p/BRM-P85020")
        assert "stockyard_session" in product.headers.get("set-cookie", "")
        token = re.search(r'name="csrf_token" value="([^"]+)"', product.text)
        assert token is not None
        again = visitor.get(f"/c/{world.categories['Brakes']}")  # the session's token is kept, not replaced
        assert "set-cookie" not in again.headers


def test_the_demo_business_has_a_working_shop(tmp_path: Path) -> None:
    demo_engine = create_db_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(demo_engine, "heads")
    build_demo(demo_engine)
    with own_app(demo_engine, tmp_path) as shop:  # default settings: tenant "demo", channel "web"
        home = shop.get("/", headers={"host": "localhost:8000"})
        assert home.status_code == 200 and "Demo Parts Co. web shop" in home.text
        category = re.search(r'href="/c/(\d+)"', home.text)
        assert category is not None
        listing = shop.get(f"/c/{category.group(1)}")
        assert listing.status_code == 200 and len(cards(listing.text)) == 20
        assert "Vehicle" in listing.text and "In stock" in listing.text
        code = next(iter(cards(listing.text)))
        product = shop.get(f"/p/{code}")
        assert product.status_code == 200 and "EUR" in product.text and 'action="/cart/lines"' in product.text
        found = shop.get("/search", params={"q": code})
        assert list(cards(found.text))[0] == code
    demo_engine.dispose()
