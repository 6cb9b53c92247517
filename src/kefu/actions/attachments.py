"""Attachments: checked by content, size-limited, stored on disk under ./var/."""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from sqlalchemy import select

from kefu.actions.context import Actor, ActorKind, Kefu, Tx, transaction
from kefu.actions.stored_text import mask_filename
from kefu.domain.numbering import new_public_id
from kefu.errors import InvalidInput, KefuError
from kefu.storage.models import Attachment, Conversation, Event

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
# 40 megapixels: any phone screenshot or photo; a header claiming more is refused
# before a single row is decoded (a 30000 x 30000 PNG is 900 megapixels, ~2.7 GB).
MAX_IMAGE_PIXELS = 40_000_000
MAX_PDF_PAGES = 500


class ImageTooLarge(KefuError):
    status_code = 413

    def __init__(self, width: int = 0, height: int = 0) -> None:
        size = f"{width}×{height}" if width and height else ""
        super().__init__(
            "image_too_large",
            f"图片尺寸太大{f'（{size}）' if size else ''}，请压缩到 4000 万像素以内再上传",
            f"image dimensions too large{f' ({size})' if size else ''}; at most 40 megapixels",
        )


def _unsupported() -> InvalidInput:
    return InvalidInput(
        "unsupported_file_type",
        "只支持图片（PNG、JPEG、GIF、WebP）和 PDF 文件",
        "only images (PNG, JPEG, GIF, WebP) and PDF files are accepted",
    )


def _is_real_pdf(content: bytes) -> bool:
    """Parsed by pypdf: a header, a cross-reference table or stream, and pages."""
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        pages = len(reader.pages)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return False
    except Exception:  # pypdf raises many kinds on hostile input; none may become a 500
        return False
    return 0 < pages <= MAX_PDF_PAGES


def sniff_content_type(content: bytes) -> str:
    """The type from the bytes themselves, never from the name or the client's claim:
    images opened and verified by Pillow with a pixel limit, PDFs parsed by pypdf."""
    if content.startswith(b"%PDF-"):
        if _is_real_pdf(content):
            return "application/pdf"
        raise _unsupported()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as img:
                fmt = img.format or ""
                width, height = img.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise ImageTooLarge(width, height)
                img.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageTooLarge() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        fmt = ""
    if fmt in IMAGE_FORMATS:
        return IMAGE_FORMATS[fmt]
    raise _unsupported()


def safe_filename(name: str, content_type: str | None = None) -> str:
    """The name without a path or control characters, secrets masked, and (given the
    detected type) the extension that type has: 发票.exe holding a PDF is 发票.pdf."""
    base = Path(name.replace("\\", "/")).name.strip() or "file"
    clean = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')[:200] or "file"
    clean = mask_filename(clean)
    if content_type in EXTENSIONS:
        stem = Path(clean).stem if "." in clean else clean
        clean = (stem or "file")[:190] + EXTENSIONS[content_type]
    return clean


def check_file_size(kefu: Kefu, content: bytes) -> None:
    if not content:
        raise InvalidInput("empty_file", "文件为空", "the file is empty")
    if len(content) > kefu.settings.attachment_max_bytes:
        limit_mb = kefu.settings.attachment_max_bytes // (1024 * 1024)
        raise InvalidInput(
            "file_too_large", f"文件不能超过 {limit_mb} MB", f"file larger than {limit_mb} MB"
        )


async def store_upload(
    kefu: Kefu,
    tx: Tx,
    tenant_id: int,
    uploader: tuple[ActorKind, int | None],
    file: UploadedFile,
    *,
    conv: Conversation | None = None,
    event: Event | None = None,
) -> Attachment:
    """The one way an attachment is stored: typed by its bytes, written to disk once
    (content-addressed), and a row in the caller's transaction, linked to `event` of
    `conv` when given (else it waits for `link_attachments`)."""
    content_type = sniff_content_type(file.content)
    digest, rel = store_attachment_file(kefu, tenant_id, file.content)
    att = Attachment(
        tenant_id=tenant_id,
        public_id=new_public_id(),
        conversation_id=conv.id if conv is not None else None,
        event_id=event.id if event is not None else None,
        uploader_type=uploader[0].value,
        uploader_id=uploader[1],
        filename=safe_filename(file.filename, content_type),
        content_type=content_type,
        size=len(file.content),
        sha256=digest,
        storage_path=rel,
        created_at=tx.now,
    )
    tx.session.add(att)
    await tx.session.flush()
    return att


def attachment_wire(att: Attachment) -> dict[str, Any]:
    """How a message event carries its attachments (``data["attachments"]``)."""
    return {
        "id": att.public_id,
        "filename": att.filename,
        "content_type": att.content_type,
        "size": att.size,
    }


async def do_upload_attachment(
    kefu: Kefu, actor: Actor, filename: str, content: bytes
) -> Attachment:
    """An upload of the actor's own, linked to a message later (``attachment_ids``)."""
    check_file_size(kefu, content)
    uploader_id = actor.customer_id if actor.is_customer else actor.agent_id
    async with transaction(kefu) as tx:
        return await store_upload(
            kefu, tx, actor.tenant_id, (actor.kind, uploader_id), UploadedFile(filename, content)
        )


def attachment_path(kefu: Kefu, att: Attachment) -> Path:
    return kefu.settings.attachments_dir / att.storage_path


async def link_attachments(
    tx: Tx, actor: Actor, conv: Conversation, event: Event, public_ids: list[str]
) -> list[dict[str, Any]]:
    """Attach the actor's own unlinked uploads to a message event."""
    if len(public_ids) > 10:
        raise InvalidInput("too_many_attachments", "一次最多 10 个附件", "at most 10 attachments")
    stmt = select(Attachment).where(
        Attachment.tenant_id == actor.tenant_id, Attachment.public_id.in_(public_ids)
    )
    found = {a.public_id: a for a in (await tx.session.execute(stmt)).scalars()}
    uploader_id = actor.customer_id if actor.is_customer else actor.agent_id
    out: list[dict[str, Any]] = []
    for pid in public_ids:
        att = found.get(pid)
        if (
            att is None
            or att.uploader_type != actor.kind.value
            or att.uploader_id != uploader_id
            or (att.conversation_id is not None and att.conversation_id != conv.id)
        ):
            raise InvalidInput("unknown_attachment", "附件不存在或已使用", "unknown attachment")
        att.conversation_id = conv.id
        att.event_id = event.id
        out.append(attachment_wire(att))
    return out


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    content: bytes


def store_attachment_file(kefu: Kefu, tenant_id: int, content: bytes) -> tuple[str, str]:
    """Write the bytes once (content-addressed); returns (sha256, relative path)."""
    digest = hashlib.sha256(content).hexdigest()
    rel = Path(str(tenant_id)) / digest[:2] / digest
    path = kefu.settings.attachments_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".tmp-" + secrets.token_hex(6))
        tmp.write_bytes(content)
        tmp.replace(path)
    return digest, str(rel)


async def attach_in_tx(
    kefu: Kefu, tx: Tx, conv: Conversation, event: Event, files: list[UploadedFile]
) -> list[dict[str, Any]]:
    """Checked (by content) files of the conversation's customer, linked to `event`."""
    uploader = (ActorKind.CUSTOMER, conv.customer_id)
    out = [
        attachment_wire(
            await store_upload(kefu, tx, conv.tenant_id, uploader, f, conv=conv, event=event)
        )
        for f in files
    ]
    event.data = {**event.data, "attachments": [*event.data.get("attachments", []), *out]}
    return out
