"""Helpers for the documents tests: a file store in a temporary folder, PDF text, barcode decoding."""

import io

import pypdf
import pypdfium2
import zxingcpp
from PIL import Image


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def pdf_pages(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def raster(data: bytes, dpi: int = 300) -> list[Image.Image]:
    """Every page of the PDF as an image, as a printer or a screen would show it."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in document]
    finally:
        document.close()


def decoded(data: bytes, dpi: int = 300) -> list[list[tuple[str, str]]]:
    """Per page, the barcodes a real decoder (ZXing) reads off the rendered page: (format, text), top to bottom."""
    pages = []
    for image in raster(data, dpi):
        found = zxingcpp.read_barcodes(image)
        found.sort(key=lambda r: (r.position.top_left.y // 20, r.position.top_left.x))
        pages.append([(r.format.name, r.text) for r in found])
    return pages
