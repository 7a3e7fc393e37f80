"""Product images through the local file store: only real images are kept (decoded with Pillow), with
thumbnails; a refused upload leaves no row and no file; reorder, alt text and delete."""

import io
from pathlib import Path

import pytest
from PIL import Image

from stockyard.catalog import admin_queries
from stockyard.catalog.images import (
    ImageText,
    check_image,
    delete_image,
    image_file,
    move_image,
    set_alt_text,
    upload_image,
)
from stockyard.core.errors import NotFound, PermissionDenied, ValidationFailed
from stockyard.core.files import LocalFileStore
from stockyard.core.uow import perform, read
from tests.catalog.catalog_support import make_skus
from tests.conftest import TenantCtx, new_tenant
from tests.inventory.support import events, role_actor, tenant_rows

LIMITS = {"max_bytes": 2_000_000, "max_pixels": 4_000_000}


def png(width: int = 640, height: int = 400, colour: tuple[int, int, int] = (200, 30, 30), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, fmt)
    return out.getvalue()


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def store(tmp_path: Path) -> LocalFileStore:
    return LocalFileStore(tmp_path / "objects")


@pytest.fixture
def product_id(tenant: TenantCtx) -> int:
    sku_id = make_skus(tenant, "IMG-1")["IMG-1"]
    return read(tenant.engine, tenant.actor, admin_queries.sku_detail, sku_id)["product"].id


def _upload(ctx: TenantCtx, store: LocalFileStore, product_id: int, data: bytes, alt: str = "", **kw: object) -> int:
    actor = kw.pop("actor", ctx.actor)
    return upload_image(ctx.engine, actor, store, product_id, data, alt, **{**LIMITS, **kw})  # type: ignore[arg-type]


def test_upload_stores_the_original_and_two_webp_thumbnails(tenant: TenantCtx, store: LocalFileStore,
                                                            product_id: int) -> None:
    image_id = _upload(tenant, store, product_id, png(1200, 600), "Front view")
    images = read(tenant.engine, tenant.actor, admin_queries.product_detail, product_id)["images"]
    assert [(i.id, i.alt, i.width, i.height, i.content_type) for i in images] == [
        (image_id, "Front view", 1200, 600, "image/png")]
    assert len(stored_files(store.root)) == 3
    for size, longest in (("small", 160), ("medium", 480)):
        key, content_type = read(tenant.engine, tenant.actor, image_file, image_id, size)
        assert content_type == "image/webp"
        with Image.open(io.BytesIO(store.get(key))) as thumb:
            assert thumb.format == "WEBP" and max(thumb.size) == longest and thumb.size == (longest, longest // 2)
    key, _ = read(tenant.engine, tenant.actor, image_file, image_id, "original")
    assert store.get(key) == png(1200, 600)
    assert events(tenant, "product.image_added.v1")[-1]["image_id"] == image_id


@pytest.mark.parametrize(("data", "message"), [
    (b"%PDF-1.4 not an image at all", "not an image"),
    (b"", "choose an image"),
    (png()[:200], "not an image"),  # a truncated PNG: the header is fine, the pixels are not
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not an image"),
])
def test_a_non_image_is_refused_and_nothing_is_stored(tenant: TenantCtx, store: LocalFileStore, product_id: int,
                                                      data: bytes, message: str) -> None:
    before = tenant_rows(tenant)
    with pytest.raises(ValidationFailed) as info:
        _upload(tenant, store, product_id, data)
    assert info.value.field == "image" and message in info.value.message
    assert tenant_rows(tenant) == before
    assert stored_files(store.root) == []


def test_too_large_files_and_too_many_pixels_are_refused(tenant: TenantCtx, store: LocalFileStore,
                                                         product_id: int) -> None:
    before = tenant_rows(tenant)
    with pytest.raises(ValidationFailed, match="limit is 0.0 MB|the limit is"):
        _upload(tenant, store, product_id, png(), max_bytes=1000)
    with pytest.raises(ValidationFailed, match="pixels"):
        _upload(tenant, store, product_id, png(3000, 2000, fmt="JPEG"), max_pixels=1_000_000)
    assert tenant_rows(tenant) == before
    assert stored_files(store.root) == []


def test_a_refused_record_removes_the_files_already_written(tenant: TenantCtx, store: LocalFileStore) -> None:
    before = tenant_rows(tenant)
    with pytest.raises(NotFound):
        _upload(tenant, store, 999999, png())
    with pytest.raises(PermissionDenied):
        _upload(tenant, store, 999999, png(), actor=role_actor(tenant, "read_only"))
    assert tenant_rows(tenant) == before
    assert stored_files(store.root) == []


def test_reorder_alt_text_and_delete(tenant: TenantCtx, store: LocalFileStore, product_id: int) -> None:
    first = _upload(tenant, store, product_id, png(colour=(255, 0, 0)))
    second = _upload(tenant, store, product_id, png(colour=(0, 255, 0)))
    third = _upload(tenant, store, product_id, png(colour=(0, 0, 255)))

    def order() -> list[int]:
        return [i.id for i in read(tenant.engine, tenant.actor, admin_queries.product_detail, product_id)["images"]]

    assert order() == [first, second, third]
    perform(tenant.engine, tenant.actor, move_image, product_id, third, "up")
    assert order() == [first, third, second]
    perform(tenant.engine, tenant.actor, move_image, product_id, first, "down")
    assert order() == [third, first, second]
    assert events(tenant, "product.images_reordered.v1")[-1]["after"] == [third, first, second]
    perform(tenant.engine, tenant.actor, set_alt_text, product_id, second, ImageText(alt="Side view"))
    assert events(tenant, "product.image_updated.v1")[-1]["after"] == {"alt": "Side view"}
    with pytest.raises(ValueError):
        ImageText(alt="x" * 256)
    delete_image(tenant.engine, tenant.actor, store, product_id, third)
    assert order() == [first, second]
    assert len(stored_files(store.root)) == 6
    with pytest.raises(PermissionDenied):
        delete_image(tenant.engine, role_actor(tenant, "read_only"), store, product_id, first)
    assert len(stored_files(store.root)) == 6


def test_another_tenant_cannot_see_or_touch_an_image(tenant: TenantCtx, store: LocalFileStore,
                                                     product_id: int) -> None:
    image_id = _upload(tenant, store, product_id, png())
    other = new_tenant(tenant.engine)
    with pytest.raises(NotFound):
        read(other.engine, other.actor, image_file, image_id, "small")
    with pytest.raises(NotFound):
        delete_image(other.engine, other.actor, store, product_id, image_id)
    assert len(stored_files(store.root)) == 3


def test_check_image_accepts_the_web_formats() -> None:
    for fmt in ("PNG", "JPEG", "GIF", "WEBP"):
        checked = check_image(png(50, 30, fmt=fmt), **LIMITS)
        assert (checked.format, checked.width, checked.height) == (fmt, 50, 30)
    with pytest.raises(ValidationFailed, match="not accepted"):
        check_image(png(50, 30, fmt="BMP"), **LIMITS)
