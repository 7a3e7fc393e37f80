"""The catalog admin in a real browser: an owner builds a product with a variant, a barcode, an image, an equivalent
and a related item and finds it in the list; a read-only user of the same company sees no way to edit it, and a
forged post with that user's own valid CSRF token is refused with 403 and changes nothing."""

import re
import uuid
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from stockyard.catalog.admin_queries import product_detail, sku_detail
from stockyard.catalog.services import CreateProduct, create_product
from stockyard.core.uow import perform, read
from tests.conftest import TenantCtx, new_tenant
from tests.e2e.conftest import LiveServer
from tests.inventory.support import sku_id as sku_id_of

PASSWORD = "correct horse battery"
SKU = "ATE-13.0460-7184"
EAN = "4006381333931"  # a valid EAN-13 (check digit 1)


def _sign_in(page: Page, server: LiveServer, ctx: TenantCtx, role: str, target: str) -> None:
    email = f"{role.replace('_', '-')}-{uuid.uuid4().hex[:8]}@example.com"
    ctx.user(role, email=email, password=PASSWORD)
    page.goto(f"{server.url}{target}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Company").fill(ctx.slug)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}{target}")


def _other_part(ctx: TenantCtx, name: str, code: str) -> None:
    perform(ctx.engine, ctx.actor, create_product,
            CreateProduct(name=name, brand="Textar", category="Brakes", skus=[{"code": code}]))


def _png(path: Path) -> Path:
    Image.new("RGB", (64, 48), (200, 40, 40)).save(path, format="PNG")
    return path


def _owner_builds_the_product(page: Page, server: LiveServer, ctx: TenantCtx, tmp_path: Path) -> int:
    _sign_in(page, server, ctx, "owner", "/admin/catalog/products/new")
    expect(page.get_by_role("heading", name="New product")).to_be_visible()
    page.get_by_label("Product name").fill("Brake pad set, front axle")
    page.get_by_label("Part number (OEM)").fill("1K0698151")
    page.get_by_label("Brand").fill("ATE")
    page.get_by_label("SKU code").fill(SKU)
    page.get_by_label("Weight (g)").fill("1450")
    page.get_by_label("Barcode").fill(EAN)
    page.get_by_role("button", name="Create product").click()

    expect(page).to_have_url(re.compile(r"/admin/catalog/products/\d+$"))
    product_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("status")).to_have_text(f"Product Brake pad set, front axle created with SKU {SKU}")
    variant = page.locator(f"table.skus tr[data-sku='{SKU}']")
    expect(variant).to_contain_text(EAN)
    expect(variant).to_contain_text("1450")

    # The image goes through a real multipart upload; the thumbnail must then load from the file store.
    page.get_by_label("Image file").set_input_files(str(_png(tmp_path / "pad.png")))
    page.locator("#images").get_by_label("Alt text").fill("Front brake pads")
    page.get_by_role("button", name="Upload image").click()
    expect(page.get_by_role("status")).to_have_text("Image uploaded")
    picture = page.locator("#images img[alt='Front brake pads']")
    expect(picture).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())

    # Relations live on the variant's page.
    variant.get_by_role("link", name=SKU).click()
    expect(page.get_by_role("heading", name=SKU)).to_be_visible()
    expect(page.locator("ul.barcodes")).to_contain_text(EAN)
    page.get_by_label("Equivalent SKU").fill("TEX-2361901")
    page.get_by_role("button", name="Add equivalent").click()
    expect(page.get_by_role("status")).to_have_text("TEX-2361901 is now equivalent")
    expect(page.locator("ul.equivalents")).to_contain_text("TEX-2361901")

    page.get_by_label("Related SKU").fill("BRK-FLUID-1L")
    page.locator("#related").get_by_label("Kind").select_option("accessory")
    page.get_by_role("button", name="Add related item").click()
    expect(page.get_by_role("status")).to_have_text("BRK-FLUID-1L added as a related item")
    expect(page.locator("ul.related")).to_contain_text("accessory")
    expect(page.locator("ul.related")).to_contain_text("BRK-FLUID-1L")

    # The list finds the product by its barcode, with its thumbnail and an Edit link for the owner.
    page.goto(f"{server.url}/admin/catalog/products")
    page.get_by_label("Search").fill(EAN)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(rf"[?&]q={EAN}"))
    rows = page.locator("table.products tbody tr")
    expect(rows).to_have_count(1)
    row = page.locator(f"table.products tr[data-product='{product_id}']")
    expect(row.get_by_role("link", name="Brake pad set, front axle")).to_be_visible()
    expect(row).to_contain_text("ATE")
    expect(row.locator("img.thumb")).to_be_visible()
    expect(row.get_by_role("link", name="Edit")).to_be_visible()
    return product_id


def _read_only_is_refused(page: Page, server: LiveServer, ctx: TenantCtx, product_id: int) -> None:
    _sign_in(page, server, ctx, "read_only", "/admin/catalog/products")
    row = page.locator(f"table.products tr[data-product='{product_id}']")
    expect(row.get_by_role("link", name="Brake pad set, front axle")).to_be_visible()
    expect(row.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("link", name="New product")).to_have_count(0)

    row.get_by_role("link", name="Brake pad set, front axle").click()
    expect(page.get_by_role("heading", name="Brake pad set, front axle")).to_be_visible()
    expect(page.get_by_role("heading", name="Edit product")).to_have_count(0)
    expect(page.get_by_role("button", name="Save product")).to_have_count(0)
    expect(page.get_by_role("button", name="Upload image")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)

    before = read(ctx.engine, ctx.actor, product_detail, product_id)
    assert before is not None
    # A forged form post from inside the page, carrying this user's own, valid CSRF token.
    answer = page.evaluate(
        """async (url) => {
            const token = document.querySelector("form.logout input[name=csrf_token]").value;
            const body = new URLSearchParams({csrf_token: token, name: "Hacked", part_number: "X",
                                              description: "<p>defaced</p>"});
            const response = await fetch(url, {method: "POST", body, redirect: "manual"});
            return {status: response.status, text: await response.text()};
        }""", f"/admin/catalog/products/{product_id}")
    assert answer["status"] == 403
    assert "lacks the permission catalog.edit" in answer["text"]  # refused for the permission, not the token
    after = read(ctx.engine, ctx.actor, product_detail, product_id)
    assert after is not None
    assert (after["product"].name, after["product"].part_number, after["product"].description) == (
        before["product"].name, before["product"].part_number, before["product"].description)
    page.reload()
    expect(page.get_by_role("heading", name="Brake pad set, front axle")).to_be_visible()


@pytest.mark.browser
def test_owner_builds_a_product_and_a_read_only_user_cannot_change_it(live_server: LiveServer, page: Page,
                                                                       browser: Browser, tmp_path: Path) -> None:
    ctx = new_tenant(live_server.engine)
    _other_part(ctx, "Brake pad set (Textar)", "TEX-2361901")
    _other_part(ctx, "Brake fluid DOT 4, 1 l", "BRK-FLUID-1L")

    product_id = _owner_builds_the_product(page, live_server, ctx, tmp_path)
    found = read(ctx.engine, ctx.actor, product_detail, product_id)
    assert found is not None and len(found["images"]) == 1
    sku_id = found["skus"][0]["sku"].id
    relations = read(ctx.engine, ctx.actor, sku_detail, sku_id)
    assert relations is not None
    assert relations["equivalents"] == ["TEX-2361901"]
    other_side = read(ctx.engine, ctx.actor, sku_detail, sku_id_of(ctx, "TEX-2361901"))
    assert other_side is not None and other_side["equivalents"] == [SKU]  # equivalence is mutual
    assert [(kind, code) for _, kind, code, _ in relations["related"]] == [("accessory", "BRK-FLUID-1L")]

    viewer = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    try:
        _read_only_is_refused(viewer.new_page(), live_server, ctx, product_id)
    finally:
        viewer.close()
