"""Findings (Medium): the PDF check was a 5-byte prefix (发票.exe starting with %PDF-
was stored as a PDF and downloaded under its .exe name); a header-only 30000×30000 PNG
gave a 500 on the upload routes and an SMTP 451 from `kefu mail-in`."""

from __future__ import annotations

import asyncio
import smtplib
import struct
import zlib
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from kefu.actions.email_inbound import inbound_callback
from kefu.channels.email import InboundMailHandler, make_inbound_controller
from kefu.storage.models import Conversation
from tests.api.pixels import pdf_bytes, png_bytes
from tests.helpcenter.conftest import GOOD_FORM
from tests.security.conftest import AppFactory, kefu_of, world_in
from tests.world import As

FAKE_PDF = b"%PDF-1.4\nMZ\x90\x00 this is an executable\n%%EOF\n"


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """Only a header: 900 megapixels claimed, a few dozen bytes sent."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def test_decompression_bomb_is_a_413_with_a_clear_message(make_client: AppFactory) -> None:
    client = make_client()
    world = world_in(client)
    customer = As(client, token=world.customer_tokens["m1"])
    for picture in (bomb_png(), bomb_png(9000, 9000)):
        r = customer.post("/api/v1/attachments", files={"file": ("big.png", picture, "image/png")})
        assert r.status_code == 413, r.text
        assert r.json()["error"]["code"] == "image_too_large"
        assert "图片尺寸太大" in r.json()["error"]["message"]
    form = client.post(
        f"/api/v1/tickets?tenant={world.slug}",
        data=GOOD_FORM,
        files=[("attachments", ("big.png", bomb_png(), "image/png"))],
    )
    assert 400 <= form.status_code < 500
    page = client.post(
        f"/help/{world.slug}/ticket",
        data=GOOD_FORM,
        files=[("attachments", ("big.png", bomb_png(), "image/png"))],
    )
    assert 400 <= page.status_code < 500 and "图片尺寸太大" in page.text
    ok = customer.post("/api/v1/attachments", files={"file": ("ok.png", png_bytes(), "image/png")})
    assert ok.status_code == 201


def test_pdf_is_parsed_and_the_extension_follows_the_detected_type(
    make_client: AppFactory,
) -> None:
    client = make_client()
    world = world_in(client)
    customer = As(client, token=world.customer_tokens["m1"])
    fake = customer.post(
        "/api/v1/attachments", files={"file": ("发票.exe", FAKE_PDF, "application/pdf")}
    )
    assert fake.status_code == 422, fake.text
    real = customer.post(
        "/api/v1/attachments", files={"file": ("发票.exe", pdf_bytes(), "application/pdf")}
    )
    assert real.status_code == 201, real.text
    assert real.json()["filename"] == "发票.pdf"
    down = customer.get(f"/api/v1/attachments/{real.json()['id']}")
    assert down.status_code == 200
    disposition = down.headers["content-disposition"]
    assert disposition.startswith("attachment") and ".exe" not in disposition
    assert down.headers["x-content-type-options"] == "nosniff"
    picture = customer.post(
        "/api/v1/attachments", files={"file": ("截图.gif", png_bytes(), "image/gif")}
    )
    assert picture.json()["filename"] == "截图.png"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mail_with_a_bomb_image_is_accepted_politely_not_451(
    make_client: AppFactory, tmp_path: Path
) -> None:
    client = make_client()
    world = world_in(client)
    assert client.portal is not None

    async def app_loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    loop = client.portal.call(app_loop)
    handler = InboundMailHandler(
        ["support@kamen.example"], inbound_callback(kefu_of(client), world.slug, loop)
    )
    port = _free_port()
    controller = make_inbound_controller(handler, "127.0.0.1", port)
    controller.start()
    try:
        mail = EmailMessage()
        mail["From"] = "李明 <liming@example.com>"
        mail["To"] = "support@kamen.example"
        mail["Subject"] = "充值没到账，截图在附件"
        mail["Message-ID"] = "<bomb-1@example.com>"
        mail.set_content("充值 100 元没到账，截图见附件。")
        mail.add_attachment(bomb_png(), maintype="image", subtype="png", filename="截图.png")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            refused = smtp.sendmail(
                "liming@example.com", ["support@kamen.example"], mail.as_bytes()
            )
        assert refused == {}
    finally:
        controller.stop()

    async def conversations() -> list[Conversation]:
        async with kefu_of(client).db.read() as s:
            rows = await s.execute(
                select(Conversation).where(Conversation.tenant_id == world.tenant_id)
            )
            return list(rows.scalars())

    [conv] = client.portal.call(conversations)
    assert conv.channel == "email"
