"""Attachments: checked by content, size-limited, stored on disk under ./var/."""

from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from kefu.actions.context import Actor, ActorKind, Kefu, Tx, transaction
from kefu.domain.numbering import new_public_id
from kefu.errors import InvalidInput
from kefu.storage.models import Attachment, Conversation, Event

IMAGE_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def sniff_content_type(content: bytes) -> str:
    """The type from the bytes themselves, never from the name or the client's claim."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        with Image.open(io.BytesIO(content)) as img:
            fmt = img.format or ""
            img.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        fmt = ""
    if fmt in IMAGE_FORMATS:
        return IMAGE_FORMATS[fmt]
    raise InvalidInput(
        "unsupported_file_type",
        "只支持图片（PNG、JPEG、GIF、WebP）和 PDF 文件",
        "only images (PNG, JPEG, GIF, WebP) and PDF files are accepted",
    )


def safe_filename(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip() or "file"
    return "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')[:200] or "file"


async def do_upload_attachment(
    kefu: Kefu, actor: Actor, filename: str, content: bytes
) -> Attachment:
    if not content:
        raise InvalidInput("empty_file", "文件为空", "the file is empty")
    if len(content) > kefu.settings.attachment_max_bytes:
        limit_mb = kefu.settings.attachment_max_bytes // (1024 * 1024)
        raise InvalidInput(
            "file_too_large", f"文件不能超过 {limit_mb} MB", f"file larger than {limit_mb} MB"
        )
    content_type = sniff_content_type(content)
    digest = hashlib.sha256(content).hexdigest()
    public_id = new_public_id()
    rel = Path(str(actor.tenant_id)) / digest[:2] / f"{digest}"
    path = kefu.settings.attachments_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".tmp-" + public_id)
        tmp.write_bytes(content)
        tmp.replace(path)
    async with transaction(kefu) as tx:
        att = Attachment(
            tenant_id=actor.tenant_id,
            public_id=public_id,
            uploader_type=actor.kind.value,
            uploader_id=actor.customer_id if actor.is_customer else actor.agent_id,
            filename=safe_filename(filename),
            content_type=content_type,
            size=len(content),
            sha256=digest,
            storage_path=str(rel),
            created_at=tx.now,
        )
        tx.session.add(att)
        await tx.session.flush()
        return att


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
        out.append(
            {
                "id": att.public_id,
                "filename": att.filename,
                "content_type": att.content_type,
                "size": att.size,
            }
        )
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
    """Checked (by content) attachments of the conversation's customer, linked to `event`."""
    out: list[dict[str, Any]] = []
    for f in files:
        content_type = sniff_content_type(f.content)
        digest, rel = store_attachment_file(kefu, conv.tenant_id, f.content)
        att = Attachment(
            tenant_id=conv.tenant_id,
            public_id=new_public_id(),
            conversation_id=conv.id,
            event_id=event.id,
            uploader_type=ActorKind.CUSTOMER.value,
            uploader_id=conv.customer_id,
            filename=safe_filename(f.filename),
            content_type=content_type,
            size=len(f.content),
            sha256=digest,
            storage_path=rel,
            created_at=tx.now,
        )
        tx.session.add(att)
        out.append(
            {
                "id": att.public_id,
                "filename": att.filename,
                "content_type": content_type,
                "size": att.size,
            }
        )
    await tx.session.flush()
    event.data = {**event.data, "attachments": out}
    return out
