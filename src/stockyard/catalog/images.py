"""Product images: checked by decoding them (never by name or declared type), stored through the file store
with two WebP thumbnails, ordered and described (alt text).

The bytes are written to the store before the row is committed; if anything fails after that (unknown
product, lost permission, a database error), the objects are deleted again, so a refused upload leaves
nothing behind.
"""

import io
import uuid
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, delete, func, insert, select

from stockyard.catalog.editing import load_product
from stockyard.catalog.models import ProductImage
from stockyard.core.actor import Actor
from stockyard.core.clock import utcnow
from stockyard.core.errors import NotFound, ValidationFailed
from stockyard.core.files import FileStore
from stockyard.core.outbox import add_event
from stockyard.core.uow import UnitOfWork, perform
from stockyard.identity.domain import CATALOG_EDIT, CATALOG_VIEW

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
THUMBNAILS = {"small": 160, "medium": 480}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    format: str
    width: int
    height: int
    thumbnails: dict[str, bytes]

    @property
    def content_type(self) -> str:
        return FORMATS[self.format]


def check_image(data: bytes, *, max_bytes: int, max_pixels: int) -> CheckedImage:
    """Decodes the upload fully and makes the thumbnails; anything that is not an image of an allowed format
    and size raises ValidationFailed on the field 'image'."""
    if not data:
        raise ValidationFailed("choose an image file to upload", field="image")
    if len(data) > max_bytes:
        raise ValidationFailed(f"the file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB",
                               field="image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt, (width, height) = probe.format or "", probe.size
                if fmt not in FORMATS:
                    raise ValidationFailed(f"{fmt or 'this'} images are not accepted; upload JPEG, PNG, GIF or WebP",
                                           field="image")
                if width * height > max_pixels:
                    raise ValidationFailed(f"the image is {width}×{height} pixels; the limit is {max_pixels:,} "
                                           "pixels", field="image")
                probe.load()
                thumbnails = {name: _thumbnail(probe, size) for name, size in THUMBNAILS.items()}
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError, OSError,
            SyntaxError, ValueError):
        raise ValidationFailed("the file is not an image that can be read (JPEG, PNG, GIF or WebP)",
                               field="image") from None
    return CheckedImage(data, fmt, width, height, thumbnails)


def _thumbnail(image: Image.Image, size: int) -> bytes:
    copy = ImageOps.exif_transpose(image.copy())
    copy = copy.convert("RGBA" if copy.mode in ("RGBA", "LA", "P") else "RGB")
    copy.thumbnail((size, size))
    out = io.BytesIO()
    copy.save(out, "WEBP", quality=82)
    return out.getvalue()


class ImageText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    alt: str = Field(default="", max_length=255)


def upload_image(engine: Engine, actor: Actor, store: FileStore, product_id: int, data: bytes, alt: str, *,
                 max_bytes: int, max_pixels: int) -> int:
    actor.require(CATALOG_EDIT)
    text = ImageText(alt=alt)
    image = check_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    stem = f"t{actor.tenant_id}/products/{product_id}/{uuid.uuid4().hex}"
    keys = {"original": f"{stem}.{EXTENSIONS[image.format]}", "small": f"{stem}-160.webp",
            "medium": f"{stem}-480.webp"}
    written: list[str] = []
    try:
        store.put(keys["original"], image.data, image.content_type)
        written.append(keys["original"])
        for name in THUMBNAILS:
            store.put(keys[name], image.thumbnails[name], "image/webp")
            written.append(keys[name])
        return perform(engine, actor, record_image, product_id, image, keys, text.alt)
    except BaseException:
        for key in written:
            store.delete(key)
        raise


def record_image(uow: UnitOfWork, product_id: int, image: CheckedImage, keys: dict[str, str], alt: str) -> int:
    uow.require(CATALOG_EDIT)
    load_product(uow, product_id)
    position = uow.execute(select(func.count()).select_from(ProductImage)
                           .where(ProductImage.product_id == product_id)).scalar_one()
    image_id = uow.conn.execute(insert(ProductImage).values(
        tenant_id=uow.tenant_id, product_id=product_id, position=position, alt=alt.strip(),
        original_key=keys["original"], small_key=keys["small"], medium_key=keys["medium"],
        content_type=image.content_type, width=image.width, height=image.height, size_bytes=len(image.data),
        created_at=utcnow()).returning(ProductImage.id)).scalar_one()
    add_event(uow, "product.image_added.v1", {"product_id": product_id, "image_id": image_id, "width": image.width,
                                              "height": image.height, "alt": alt.strip()})
    return image_id


def _images(uow: UnitOfWork, product_id: int) -> list[ProductImage]:
    return list(uow.execute(select(ProductImage).where(ProductImage.product_id == product_id)
                            .order_by(ProductImage.position, ProductImage.id)).scalars())


def _image(uow: UnitOfWork, product_id: int, image_id: int) -> ProductImage:
    found = uow.execute(select(ProductImage).where(ProductImage.id == image_id,
                                                   ProductImage.product_id == product_id)).scalar()
    if found is None:
        raise NotFound(f"product {product_id} has no image {image_id}", field="image_id")
    return found


def set_alt_text(uow: UnitOfWork, product_id: int, image_id: int, text: ImageText) -> None:
    uow.require(CATALOG_EDIT)
    image = _image(uow, product_id, image_id)
    before = image.alt
    image.alt = text.alt.strip()
    uow.session.flush()
    add_event(uow, "product.image_updated.v1", {"product_id": product_id, "image_id": image_id,
                                                "before": {"alt": before}, "after": {"alt": image.alt}})


def move_image(uow: UnitOfWork, product_id: int, image_id: int, direction: str) -> None:
    """Swap with the previous ('up') or next ('down') image; the first image is the main one."""
    uow.require(CATALOG_EDIT)
    if direction not in ("up", "down"):
        raise ValidationFailed("is up or down", field="direction")
    images = _images(uow, product_id)
    at = next((i for i, img in enumerate(images) if img.id == image_id), None)
    if at is None:
        raise NotFound(f"product {product_id} has no image {image_id}", field="image_id")
    before = [img.id for img in images]
    to = at - 1 if direction == "up" else at + 1
    if 0 <= to < len(images):
        images[at], images[to] = images[to], images[at]
    for position, img in enumerate(images):
        img.position = position
    uow.session.flush()
    add_event(uow, "product.images_reordered.v1", {"product_id": product_id, "before": before,
                                                   "after": [img.id for img in images]})


def delete_image(engine: Engine, actor: Actor, store: FileStore, product_id: int, image_id: int) -> None:
    keys = perform(engine, actor, remove_image, product_id, image_id)
    for key in keys:  # after the commit: a failed delete must not leave a row pointing at nothing
        store.delete(key)


def remove_image(uow: UnitOfWork, product_id: int, image_id: int) -> list[str]:
    uow.require(CATALOG_EDIT)
    image = _image(uow, product_id, image_id)
    keys = [image.original_key, image.small_key, image.medium_key]
    uow.execute(delete(ProductImage).where(ProductImage.id == image_id))
    for position, img in enumerate(_images(uow, product_id)):
        img.position = position
    uow.session.flush()
    add_event(uow, "product.image_removed.v1", {"product_id": product_id, "image_id": image_id,
                                                "before": {"alt": image.alt, "key": image.original_key},
                                                "after": None})
    return keys


def image_file(uow: UnitOfWork, image_id: int, size: str) -> tuple[str, str]:
    """(file-store key, content type) of one image of this tenant, for serving it."""
    uow.require(CATALOG_VIEW)
    image = uow.execute(select(ProductImage).where(ProductImage.id == image_id)).scalar()
    if image is None:
        raise NotFound(f"unknown image {image_id}", field="image_id")
    if size == "original":
        return image.original_key, image.content_type
    if size in THUMBNAILS:
        return getattr(image, f"{size}_key"), "image/webp"
    raise NotFound(f"unknown image size {size!r}", field="size")
