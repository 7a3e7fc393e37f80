"""The catalog admin pages in-process, signed in through the login form: create, list, forged posts."""

import io
import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from stockyard.core.settings import Settings
from stockyard.web.app import create_app
from tests.conftest import TenantCtx
from tests.inventory.support import tenant_rows

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in(ctx: TenantCtx, tmp_path: Path, role: str) -> tuple[TestClient, str]:
    app = create_app(Settings(secret_key="test-secret", var_dir=tmp_path), ctx.engine, run_jobs=False)
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    ctx.user(role, email=email, password=PASSWORD)
    client = TestClient(app)
    token = CSRF.search(client.get("/login").text)[1]
    response = client.post("/login", data={"tenant": ctx.slug, "email": email, "password": PASSWORD,
                                           "csrf_token": token, "next": "/admin/catalog/products"},
                           follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    page = client.get("/admin/catalog/products")
    assert page.status_code == 200, page.text[:500]
    return client, CSRF.search(page.text)[1]


def test_owner_creates_a_product_with_an_image_and_sees_it_listed(tenant: TenantCtx, tmp_path: Path) -> None:
    client, csrf = _signed_in(tenant, tmp_path, "owner")
    bad = client.post("/admin/catalog/products/new", data={"csrf_token": csrf, "name": "Pad", "sku": "PAD-1",
                                                           "barcode": "4006381333932"}, follow_redirects=False)
    assert bad.status_code == 422 and 'id="barcode-error"' in bad.text
    created = client.post("/admin/catalog/products/new", data={"csrf_token": csrf, "name": "Brake pad", "sku": "PAD-1",
                                                               "barcode": "4006381333931", "brand": "Acme"},
                          follow_redirects=False)
    assert created.status_code == 303
    product_url = created.headers["location"]
    out = io.BytesIO()
    Image.new("RGB", (64, 32), (10, 200, 10)).save(out, "PNG")
    upload = client.post(f"{product_url}/images", data={"csrf_token": csrf, "alt": "Front"},
                         files={"image": ("pad.png", out.getvalue(), "image/png")}, follow_redirects=False)
    assert upload.status_code == 303
    refused = client.post(f"{product_url}/images", data={"csrf_token": csrf},
                          files={"image": ("fake.png", b"not a png", "image/png")}, follow_redirects=False)
    assert refused.status_code == 422 and "not an image" in refused.text
    detail = client.get(product_url)
    image_url = re.search(r'src="(/admin/catalog/images/\d+/medium)"', detail.text)[1]
    assert client.get(image_url).headers["content-type"] == "image/webp"
    listing = client.get("/admin/catalog/products", params={"q": "PAD-1"})
    assert "Brake pad" in listing.text and "Acme" in listing.text
    export = client.get("/admin/catalog/export.csv")
    assert "PAD-1" in export.text and "4006381333931" in export.text


def test_read_only_sees_no_edit_button_and_a_forged_post_is_refused(tenant: TenantCtx, tmp_path: Path) -> None:
    owner, csrf = _signed_in(tenant, tmp_path, "owner")
    owner.post("/admin/catalog/products/new", data={"csrf_token": csrf, "name": "Brake pad", "sku": "PAD-1"})
    viewer, viewer_csrf = _signed_in(tenant, tmp_path, "read_only")
    listing = viewer.get("/admin/catalog/products")
    assert "Brake pad" in listing.text and ">Edit<" not in listing.text and "New product" not in listing.text
    before = tenant_rows(tenant)
    forged = viewer.post("/admin/catalog/products/new", data={"csrf_token": viewer_csrf, "name": "X", "sku": "X-1"},
                         follow_redirects=False)
    assert forged.status_code == 403
    assert tenant_rows(tenant) == before


def test_import_page_shows_the_row_report_and_writes_nothing(tenant: TenantCtx, tmp_path: Path) -> None:
    client, csrf = _signed_in(tenant, tmp_path, "owner")
    before = tenant_rows(tenant)
    data = b"name,sku,weight_g\nGood,G-1,10\nBad,B-1,heavy\n"
    response = client.post("/admin/catalog/import", data={"csrf_token": csrf},
                           files={"file": ("p.csv", data, "text/csv")}, follow_redirects=False)
    assert response.status_code == 422 and "weight_g" in response.text and "Nothing was imported" in response.text
    assert tenant_rows(tenant) == before
