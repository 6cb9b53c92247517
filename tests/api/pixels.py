"""Small real image files made with Pillow."""

from __future__ import annotations

import io

from PIL import Image


def png_bytes(width: int = 8, height: int = 8, color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, format="PNG")
    return buf.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF (pypdf), as a scanned receipt would be."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


PDF_BYTES = pdf_bytes()
