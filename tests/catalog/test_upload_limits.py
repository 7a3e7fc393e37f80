"""Oversized uploads on the catalog admin pages, through HTTP: a CSV import or an image over its setting's limit is
refused with 413 and a clear message, and nothing is imported or stored."""

import io
import os
import re
import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from stockyard.core.settings import Settings
from stockyard.web.app import create_app
from tests.conftest import TenantCtx
from tests.inventory.support import tenant_rows

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in(ctx: TenantCtx, var_dir: Path, role: str = "owner", **settings: Any) -> tuple[TestClient, str]:
    app = create_app(Settings(secret_key="test-secret", var_dir=var_dir, **settings), ctx.engine, run_jobs=False)
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    ctx.user(role, email=email, password=PASSWORD)
    client = TestClient(app)
    token = CSRF.search(client.get("/login").text)[1]
    response = client.post("/login", data={"tenant": ctx.slug, "email": email, "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return client, CSRF.search(client.get("/admin/catalog/products").text)[1]


def _data(ctx: TenantCtx) -> dict[str, Any]:
    """The tenant's rows but for the sign-in session (which notes each visit)."""
    return {table: rows for table, rows in tenant_rows(ctx).items() if table != "user_sessions"}


def _csv(rows: int) -> bytes:
    return ("name,sku\n" + "".join(f"Part {i},P-{i:04}\n" for i in range(rows))).encode()


def _import(client: TestClient, csrf: str, data: bytes) -> Any:
    return client.post("/admin/catalog/import", data={"csrf_token": csrf},
                       files={"file": ("products.csv", data, "text/csv")}, follow_redirects=False)


def test_a_csv_over_the_limit_is_refused_with_413_and_nothing_is_imported(tenant: TenantCtx, tmp_path: Path) -> None:
    at_limit = _csv(10)
    client, csrf = _signed_in(tenant, tmp_path, csv_upload_max_bytes=len(at_limit))
    before = _data(tenant)

    refused = _import(client, csrf, _csv(11))
    assert refused.status_code == 413
    assert "Nothing was imported" in refused.text and "the limit for an upload" in refused.text
    assert _data(tenant) == before

    accepted = _import(client, csrf, at_limit)  # the limit itself is allowed
    assert accepted.status_code == 303
    assert "P-0009" in client.get("/admin/catalog/products", params={"q": "P-0009"}).text


def test_the_default_limit_is_ten_megabytes() -> None:
    assert Settings().csv_upload_max_bytes == 10 * 1024 * 1024


def test_a_user_who_may_not_import_is_refused_with_403_whatever_the_size(tenant: TenantCtx, tmp_path: Path) -> None:
    client, csrf = _signed_in(tenant, tmp_path, "read_only", csv_upload_max_bytes=100)
    before = _data(tenant)
    assert _import(client, csrf, _csv(50)).status_code == 403
    assert _import(client, csrf, _csv(1)).status_code == 403
    assert _data(tenant) == before


def test_an_image_over_the_limit_is_refused_with_413_and_nothing_is_stored(tenant: TenantCtx, tmp_path: Path) -> None:
    client, csrf = _signed_in(tenant, tmp_path, image_max_bytes=20_000)
    created = client.post("/admin/catalog/products/new", data={"csrf_token": csrf, "name": "Brake pad",
                                                               "sku": "PAD-1"}, follow_redirects=False)
    assert created.status_code == 303
    product_url = created.headers["location"]
    out = io.BytesIO()
    Image.frombytes("RGB", (128, 128), os.urandom(128 * 128 * 3)).save(out, "PNG")  # noise does not compress
    assert len(out.getvalue()) > 20_000
    before = _data(tenant)

    refused = client.post(f"{product_url}/images", data={"csrf_token": csrf, "alt": "Front"},
                          files={"image": ("pad.png", out.getvalue(), "image/png")}, follow_redirects=False)
    assert refused.status_code == 413
    assert "the limit is" in refused.text and 'id="image-error"' in refused.text
    assert _data(tenant) == before
    objects = tmp_path / "objects"
    assert not objects.exists() or not any(p.is_file() for p in objects.rglob("*"))
