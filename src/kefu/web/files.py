"""Serving stored attachments: inline for images, download for the rest, never sniffed."""

from __future__ import annotations

from fastapi.responses import FileResponse

from kefu.actions.attachments import attachment_path
from kefu.actions.context import Kefu
from kefu.errors import NotFound
from kefu.storage.models import Attachment


def attachment_response(kefu: Kefu, att: Attachment) -> FileResponse:
    path = attachment_path(kefu, att)
    if not path.exists():
        raise NotFound("attachment", "附件")
    disposition = "inline" if att.content_type.startswith("image/") else "attachment"
    return FileResponse(
        path,
        media_type=att.content_type,
        filename=att.filename,
        content_disposition_type=disposition,
        headers={"X-Content-Type-Options": "nosniff"},
    )
