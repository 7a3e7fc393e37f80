"""The file store against a real S3-compatible server (SeaweedFS in CI; see .ci/run).

Set STOCKYARD_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY and _SECRET_KEY to run these tests. Without them they are
skipped, except in CI (CI=true), where a missing S3 server is a failure.
"""

import io
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import Engine

from stockyard.catalog import admin_queries
from stockyard.core.files import S3FileStore, file_store
from stockyard.core.settings import Settings
from stockyard.core.uow import read
from tests.catalog.catalog_support import make_skus
from tests.conftest import IN_CI, TenantCtx, new_tenant
from tests.identity.auth_support import browser, login, make_app, new_user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ENV = {name: f"STOCKYARD_TEST_S3_{name.upper()}" for name in ("endpoint", "bucket", "access_key", "secret_key")}


@pytest.fixture(scope="module")
def s3_settings() -> dict[str, str]:
    values = {name: os.environ.get(var, "") for name, var in ENV.items()}
    missing = [ENV[name] for name, value in values.items() if not value]
    if missing:
        if IN_CI:
            pytest.fail("CI=true but the S3 server is not configured: " + ", ".join(missing) + " unset")
        pytest.skip("S3 tests need " + ", ".join(missing))
    return {f"s3_{name}": value for name, value in values.items()}


@pytest.fixture
def store(s3_settings: dict[str, str], tmp_path: Path) -> S3FileStore:
    made = file_store(Settings(var_dir=tmp_path, **s3_settings))
    assert isinstance(made, S3FileStore), "S3 settings must select the S3 store"
    try:
        made.client.head_bucket(Bucket=made.bucket)
    except Exception as error:  # the server is down or the bucket is missing
        pytest.fail(f"S3 bucket {made.bucket!r} at {s3_settings['s3_endpoint']} is unreachable: {error}")
    return made


def listed(store: S3FileStore, prefix: str) -> dict[str, int]:
    """Key → size of every object under `prefix`, read from the server's listing."""
    found: dict[str, int] = {}
    for page in store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket, Prefix=prefix):
        found.update({item["Key"]: item["Size"] for item in page.get("Contents", [])})
    return found


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 200)).save(out, "PNG")
    return out.getvalue()


def test_the_store_puts_gets_lists_and_deletes_objects(store: S3FileStore) -> None:
    prefix = f"s3test-{uuid.uuid4().hex}/"
    first, second = prefix + "docs/a.txt", prefix + "docs/b.bin"
    store.put(first, b"hello s3", "text/plain")
    store.put(second, bytes(range(256)) * 40, "application/octet-stream")

    assert store.get(first) == b"hello s3"
    assert store.get(second) == bytes(range(256)) * 40
    assert store.exists(first) and store.exists(second)
    assert listed(store, prefix) == {first: 8, second: 256 * 40}
    head = store.client.head_object(Bucket=store.bucket, Key=first)
    assert head["ContentType"] == "text/plain"

    store.put(first, b"replaced", "text/plain")
    assert store.get(first) == b"replaced"

    store.delete(first)
    assert not store.exists(first)
    with pytest.raises(FileNotFoundError):
        store.get(first)
    store.delete(first)  # deleting what is gone is not an error
    assert listed(store, prefix) == {second: 256 * 40}
    store.delete(second)
    assert listed(store, prefix) == {}


def test_a_presigned_url_serves_the_bytes_and_a_tampered_one_is_refused(store: S3FileStore) -> None:
    key = f"s3test-{uuid.uuid4().hex}/photo.png"
    data = png(20, 10)
    store.put(key, data, "image/png")
    try:
        url = store.url(key, seconds=60)
        assert url and url.startswith(store.client.meta.endpoint_url)
        fetched = httpx.get(url)
        assert fetched.status_code == 200 and fetched.content == data
        assert fetched.headers["content-type"] == "image/png"
        tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        assert httpx.get(tampered).status_code == 403
    finally:
        store.delete(key)


def test_a_bad_key_never_reaches_the_server(store: S3FileStore) -> None:
    for key in ("../escape", "/abs", "a/../b", "a b"):
        with pytest.raises(ValueError):
            store.put(key, b"x", "text/plain")


@pytest.fixture
def shop(sqlite_engine: Engine) -> TenantCtx:
    return new_tenant(sqlite_engine)


@pytest.fixture
def own_bucket(store: S3FileStore, s3_settings: dict[str, str]) -> Iterator[dict[str, str]]:
    """S3 settings naming a new, empty bucket: test databases restart their tenant ids at 1, so keys such as
    t1/products/1/... of earlier runs may be in the shared bucket."""
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    store.client.create_bucket(Bucket=bucket)
    yield {**s3_settings, "s3_bucket": bucket}
    scratch = S3FileStore(store.client, bucket)
    for key in listed(scratch, ""):
        scratch.delete(key)
    store.client.delete_bucket(Bucket=bucket)


def test_an_uploaded_product_image_lands_in_the_bucket_with_its_thumbnails(
        shop: TenantCtx, own_bucket: dict[str, str], tmp_path: Path) -> None:
    store = file_store(Settings(var_dir=tmp_path, **own_bucket))
    assert isinstance(store, S3FileStore) and store.bucket == own_bucket["s3_bucket"]
    app = make_app(shop, tmp_path, **own_bucket)
    client = browser(app)
    _, email = new_user(shop, "owner")
    assert login(client, shop, email).status_code == 303
    sku_id = make_skus(shop, "S3-IMG")["S3-IMG"]
    product_id = read(shop.engine, shop.actor, admin_queries.sku_detail, sku_id)["product"].id
    product_url = f"/admin/catalog/products/{product_id}"
    csrf = CSRF.search(client.get(product_url).text)[1]
    prefix = f"t{shop.tenant_id}/products/{product_id}/"

    refused = client.post(f"{product_url}/images", data={"csrf_token": csrf},
                          files={"image": ("fake.png", b"not a png", "image/png")}, follow_redirects=False)
    assert refused.status_code == 422
    assert listed(store, prefix) == {}, "a refused upload left objects in the bucket"

    original = png(1000, 500)
    uploaded = client.post(f"{product_url}/images", data={"csrf_token": csrf, "alt": "Side"},
                           files={"image": ("side.png", original, "image/png")}, follow_redirects=False)
    assert uploaded.status_code == 303, uploaded.text[:500]

    objects = listed(store, prefix)
    assert len(objects) == 3, objects
    [original_key] = [k for k in objects if k.endswith(".png")]
    assert store.get(original_key) == original
    for suffix, longest in (("-160.webp", 160), ("-480.webp", 480)):
        [key] = [k for k in objects if k.endswith(suffix)]
        with Image.open(io.BytesIO(store.get(key))) as thumb:
            assert thumb.format == "WEBP" and thumb.size == (longest, longest // 2)

    # The page links the image; the app answers with a short-lived presigned URL of the S3 server.
    detail = client.get(product_url)
    image_path = re.search(r'src="(/admin/catalog/images/(\d+)/medium)"', detail.text)
    assert image_path, "the product page shows no image"
    redirect = client.get(image_path[1], follow_redirects=False)
    assert redirect.status_code == 307
    fetched = httpx.get(redirect.headers["location"])
    assert fetched.status_code == 200
    with Image.open(io.BytesIO(fetched.content)) as thumb:
        assert thumb.format == "WEBP" and max(thumb.size) == 480

    deleted = client.post(f"{product_url}/images/{image_path[2]}/delete", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert deleted.status_code == 303
    assert listed(store, prefix) == {}, "deleting the image left objects in the bucket"
