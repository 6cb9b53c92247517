"""Parse one raw inbound mail into an `InboundEmail`. Never raises."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from kefu.channels.email.charsets import decode_bytes, guess_decode, header_text
from kefu.channels.email.html_text import html_to_text
from kefu.channels.email.loop_detection import detect_automation
from kefu.channels.email.quoting import strip_quoted_reply
from kefu.channels.email.ticket_number import find_ticket_number

_MSGID_RE = re.compile(r"<([^<>\s]+)>")
_FILENAME_UNSAFE_RE = re.compile(r"[\x00-\x1f\x7f/\\]+")
_MAX_DEPTH = 20
_ADDRESS_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


@dataclass(frozen=True)
class EmailAttachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    size: int
    content_id: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class InboundEmail:
    from_address: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    date: datetime | None
    text: str
    new_text: str
    html: str | None
    attachments: tuple[EmailAttachment, ...]
    ticket_number: str | None
    auto_submitted: bool
    is_bounce: bool
    is_mailing_list: bool
    is_loop: bool
    automation_reasons: tuple[str, ...]
    defects: tuple[str, ...]
    # To, Cc, Delivered-To, X-Original-To: where a +token reply address shows up
    recipients: tuple[str, ...] = ()
    # Authentication-Results headers as the receiving MTA wrote them
    auth_results: tuple[str, ...] = ()

    @property
    def is_automated(self) -> bool:
        """True when no automatic answer may be sent to this mail."""
        return self.auto_submitted or self.is_bounce or self.is_mailing_list or self.is_loop


def normalize_message_id(value: str | None) -> str | None:
    """`<id@host>` for any spelling of one message id; None when there is none."""
    if not value:
        return None
    match = _MSGID_RE.search(value)
    if match:
        return f"<{match.group(1)}>"
    token = value.strip().split()[0] if value.strip() else ""
    return f"<{token.strip('<>')}>" if token.strip("<>") else None


def message_ids(value: str | None) -> tuple[str, ...]:
    """All message ids in a References / In-Reply-To value, in order, without repeats."""
    if not value:
        return ()
    found = [f"<{m}>" for m in _MSGID_RE.findall(value)]
    if not found:
        found = [f"<{token.strip('<>')}>" for token in value.split() if token.strip("<>")]
    return tuple(dict.fromkeys(found))


class _Collector:
    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[EmailAttachment] = []
        self.defects: list[str] = []


def _params_source(part: Message) -> Message:
    """`part`, or a copy of its parameter headers with raw 8-bit bytes decoded.

    The stdlib turns raw 8-bit parameter bytes (a GBK file name sent unencoded)
    into U+FFFD; decoding the raw header first keeps the name.
    """
    raw = [
        (k, v) for k, v in part.raw_items() if k.lower() in ("content-type", "content-disposition")
    ]
    if not any(any("\udc80" <= ch <= "\udcff" for ch in str(v)) for _, v in raw):
        return part
    copy = Message()
    for name, value in raw:
        copy[name] = _raw_header_str(str(value))
    return copy


def _decoded_param(part: Message, name: str, header: str) -> str | None:
    value = _params_source(part).get_param(name, None, header)
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text as latin-1 chars)
        charset, _language, text = value
        raw = str(text).encode("raw-unicode-escape")
        return decode_bytes(raw, charset or None)[0]
    return header_text(str(value))


def _filename(part: Message, index: int) -> str:
    name = _decoded_param(part, "filename", "content-disposition")
    if not name:
        name = _decoded_param(part, "name", "content-type")
    if name:
        name = _FILENAME_UNSAFE_RE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not name or name in (".", ".."):
        extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
        name = f"attachment-{index}{extension}"
    return name


def _payload_bytes(part: Message) -> bytes:
    if part.get_content_maintype() in ("message", "multipart"):
        payload = part.get_payload()
        if isinstance(payload, list):
            return b"".join(
                item.as_bytes() if isinstance(item, Message) else str(item).encode()
                for item in payload
            )
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", errors="surrogateescape")
    return b""


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if part.get_content_type() not in ("text/plain", "text/html"):
        return True
    return bool(part.get_param("filename", None, "content-disposition"))


def _walk(part: Message, out: _Collector, depth: int = 0) -> None:
    try:
        _walk_part(part, out, depth)
    finally:  # decoding a payload can add defects, so read them afterwards
        out.defects.extend(type(defect).__name__ for defect in part.defects)


def _walk_part(part: Message, out: _Collector, depth: int) -> None:
    if depth > _MAX_DEPTH:
        out.defects.append("nesting_too_deep")
        return
    content_type = part.get_content_type()
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        payload = part.get_payload()
        if isinstance(payload, list):
            for child in payload:
                if isinstance(child, Message):
                    _walk(child, out, depth + 1)
        return
    try:
        if _is_attachment(part):
            data = _payload_bytes(part)
            content_id = part.get("Content-ID")
            out.attachments.append(
                EmailAttachment(
                    filename=_filename(part, len(out.attachments) + 1),
                    content_type=content_type,
                    data=data,
                    size=len(data),
                    content_id=normalize_message_id(str(content_id)) if content_id else None,
                    inline=(part.get_content_disposition() or "").lower() != "attachment",
                )
            )
            return
        data = _payload_bytes(part)
        charset = part.get_content_charset()
        text, clean = decode_bytes(data, charset)
        if not clean:
            out.defects.append(f"charset:{charset or 'undeclared'}")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        (out.html if content_type == "text/html" else out.plain).append(text)
    except Exception as exc:  # one broken part must not lose the rest of the mail
        out.defects.append(f"part:{type(exc).__name__}")


def _raw_headers(msg: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        headers.setdefault(name.strip().lower(), []).append(str(value))
    return headers


def _raw_header_str(value: str) -> str:
    """A raw header with 8-bit bytes made readable, encoded words left alone."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        return guess_decode(value.encode("utf-8", errors="surrogateescape"))
    return value


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    pairs = getaddresses([_raw_header_str(value) for value in values])
    result: list[tuple[str, str]] = []
    for name, address in pairs:
        if address or name:
            result.append((header_text(name).strip("\"' "), address.strip().lower()))
    return result


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("date")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_email(raw: bytes, *, own_addresses: Iterable[str] = ()) -> InboundEmail:
    """Everything kefu needs from one raw RFC 5322 mail.

    `own_addresses` are the addresses kefu sends from; mail from them is a loop.
    Malformed mail yields whatever could be read, with `defects` naming the damage.
    """
    try:
        return _parse(raw, tuple(own_addresses))
    except Exception as exc:  # last line of defence: never raise on hostile input
        return InboundEmail(
            from_address="",
            from_name="",
            to=(),
            cc=(),
            subject="",
            message_id=None,
            in_reply_to=None,
            references=(),
            date=None,
            text="",
            new_text="",
            html=None,
            attachments=(),
            ticket_number=None,
            auto_submitted=False,
            is_bounce=False,
            is_mailing_list=False,
            is_loop=False,
            automation_reasons=(),
            defects=(f"internal:{type(exc).__name__}",),
        )


def _parse(raw: bytes, own_addresses: tuple[str, ...]) -> InboundEmail:
    defects: list[str] = []
    if isinstance(raw, str):  # tolerate callers that already decoded
        raw = raw.encode("utf-8", errors="surrogateescape")
    try:
        msg = message_from_bytes(raw)
    except Exception as exc:
        msg = Message()
        defects.append(f"unparsable:{type(exc).__name__}")
    headers = _raw_headers(msg)

    def first(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    senders = _addresses(headers.get("from", [])) or _addresses(headers.get("sender", []))
    from_name, from_address = senders[0] if senders else ("", "")
    if not _ADDRESS_RE.match(from_address):
        from_address = ""
    if not from_address:
        defects.append("from")
    subject = header_text(first("subject"))

    collector = _Collector()
    try:
        _walk(msg, collector)
    except Exception as exc:
        defects.append(f"body:{type(exc).__name__}")
    defects.extend(collector.defects)
    html = "\n".join(collector.html) if collector.html else None
    text = "\n".join(collector.plain).strip("\n")
    if not text.strip() and html:
        text = html_to_text(html)
    new_text = strip_quoted_reply(text)

    decoded = {name: [header_text(v) for v in values] for name, values in headers.items()}
    flags = detect_automation(
        decoded,
        from_address=from_address,
        subject=subject,
        content_type=str(msg.get("Content-Type", "")),
        own_addresses=own_addresses,
    )
    references = message_ids(first("references"))
    return InboundEmail(
        from_address=from_address,
        from_name=from_name,
        to=tuple(addr for _, addr in _addresses(headers.get("to", [])) if addr),
        cc=tuple(addr for _, addr in _addresses(headers.get("cc", [])) if addr),
        subject=subject,
        message_id=normalize_message_id(first("message-id")),
        in_reply_to=normalize_message_id(first("in-reply-to")),
        references=references,
        date=_date(first("date"), defects),
        text=text,
        new_text=new_text,
        html=html,
        attachments=tuple(collector.attachments),
        ticket_number=find_ticket_number(subject, new_text, text),
        auto_submitted=flags.auto_submitted,
        is_bounce=flags.is_bounce,
        is_mailing_list=flags.is_mailing_list,
        is_loop=flags.is_loop,
        automation_reasons=flags.reasons,
        defects=tuple(dict.fromkeys(defects)),
        recipients=tuple(
            dict.fromkeys(
                addr.lower()
                for name in ("to", "cc", "delivered-to", "x-original-to")
                for _, addr in _addresses(headers.get(name, []))
                if addr
            )
        ),
        auth_results=tuple(headers.get("authentication-results", [])),
    )
