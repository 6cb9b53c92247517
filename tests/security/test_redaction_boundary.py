"""Finding (Medium): secrets at rest — ticket form fields (occurred_at, error_message,
tried), e-mail subjects and auto-reply notes were stored without masking. Property:
whatever text carries a secret, on every write path, the database never holds it."""

from __future__ import annotations

import json
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kefu.actions.email_inbound import do_receive_email
from kefu.channels.email.reply_proof import reply_address
from kefu.storage.models import Attachment, Conversation, Event
from tests.api.pixels import png_bytes
from tests.helpcenter.conftest import GOOD_FORM
from tests.security.conftest import AppFactory, kefu_of, world_in
from tests.world import As, World

# filler that cannot itself look like a secret keyword or a number
filler = st.text(alphabet="你好请帮我看一下充值没有到账谢谢急 ", min_size=0, max_size=12)
password = st.text(alphabet="abcdefghjkmnpqrstuvwxyz", min_size=3, max_size=6).flatmap(
    lambda letters: st.integers(100, 99999).map(lambda n: f"{letters}{n}")
)
sms_code = st.integers(100000, 999999).map(str)
# card codes mix letters and digits (the redaction rules leave all-letter groups alone:
# they read as words); each group here carries a digit
card_group = st.tuples(
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=3, max_size=3),
    st.sampled_from("23456789"),
).map(lambda parts: parts[0] + parts[1])
card_code = st.lists(card_group, min_size=3, max_size=4).map("-".join)
secret = st.one_of(
    password.map(lambda v: (f"密码是 {v}", v)),
    sms_code.map(lambda v: (f"验证码 {v}", v)),
    card_code.map(lambda v: (f"卡密 {v}", v)),
)


def stored_text(client: TestClient, tenant_id: int) -> str:
    async def go() -> str:
        async with kefu_of(client).db.read() as s:
            parts: list[str] = []
            for e in (await s.execute(select(Event).where(Event.tenant_id == tenant_id))).scalars():
                parts += [e.body, json.dumps(e.data, ensure_ascii=False)]
            rows = await s.execute(select(Conversation).where(Conversation.tenant_id == tenant_id))
            for c in rows.scalars():
                parts += [c.subject, json.dumps(c.details, ensure_ascii=False)]
            rows2 = await s.execute(select(Attachment).where(Attachment.tenant_id == tenant_id))
            parts += [a.filename for a in rows2.scalars()]
            return "\n".join(parts)

    assert client.portal is not None
    return client.portal.call(go)


def _mail(subject: str, body: str, message_id: str, attach_name: str | None = None) -> bytes:
    mail = EmailMessage()
    mail["From"] = "李明 <liming@example.com>"
    mail["To"] = "support@kamen.example"
    mail["Subject"] = subject
    mail["Message-ID"] = message_id
    mail.set_content(body)
    if attach_name:
        mail.add_attachment(png_bytes(), maintype="image", subtype="png", filename=attach_name)
    return mail.as_bytes()


def write_everywhere(client: TestClient, world: World, text: str, n: int) -> None:
    """Every path that stores text a person typed."""
    form = {**GOOD_FORM, "occurred_at": text, "error_message": text, "tried": text}
    form["description"] = "王者荣耀点券充值没到账 " + text
    r = client.post(
        f"/api/v1/tickets?tenant={world.slug}",
        data=form,
        files=[("attachments", (f"{text}.png", png_bytes(), "image/png"))],
    )
    assert r.status_code == 201, r.text
    customer = As(client, token=world.customer_tokens["m1"])
    conv = customer.post("/api/v1/conversations", json={"body": "在吗 " + text})
    assert conv.status_code == 201, conv.text
    cid = conv.json()["id"]
    assert (
        customer.post(f"/api/v1/conversations/{cid}/messages", json={"body": text}).status_code
        == 201
    )
    up = customer.post("/api/v1/attachments", files={"file": (f"{text}.png", png_bytes())})
    assert up.status_code == 201
    alice = As.staff(client, world.emails["alice"])
    assert alice.post(f"/api/v1/conversations/{cid}/notes", json={"body": text}).status_code == 201
    reply = client.post(
        f"/api/v1/tickets/track/{r.json()['token']}/messages", json={"body": "补充 " + text}
    )
    assert reply.status_code == 201, reply.text
    assert client.portal is not None
    kefu = kefu_of(client)
    first = client.portal.call(
        do_receive_email,
        kefu,
        world.slug,
        _mail(f"充值问题 {text}", f"订单没到账 {text}", f"<p{n}@example.com>", f"{text}.png"),
    )
    auto = _mail(f"自动回复: {text}", f"我不在 {text}", f"<a{n}@example.com>")
    auto = auto.replace(
        b"Message-ID:",
        f"In-Reply-To: <p{n}@example.com>\nAuto-Submitted: auto-replied\nMessage-ID:".encode(),
        1,
    )
    # only the ticket's reply address (or a signed id) threads it (docs/email.md)
    own = reply_address(
        "support@kamen.example", str(first.conversation_public_id), kefu.settings.signing_keys
    )
    auto = auto.replace(b"To: support@kamen.example", f"To: {own}".encode(), 1)
    client.portal.call(do_receive_email, kefu, world.slug, auto)
    assert first.number


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client(anon_tickets_per_10min=10_000, anon_sessions_per_10min=10_000)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=filler, pair=secret, after=filler)
def test_no_write_path_stores_a_secret(
    client: TestClient, before: str, pair: tuple[str, str], after: str
) -> None:
    world = world_in(client)
    phrase, value = pair
    write_everywhere(client, world, f"{before}{phrase}{after}", abs(hash(phrase)))
    stored = stored_text(client, world.tenant_id)
    assert "自动回复邮件（未回复）" in stored  # the auto-reply note was written
    assert phrase not in stored
    assert value not in stored


def test_the_boundary_also_masks_rows_written_outside_the_helpers(
    client: TestClient,
) -> None:
    """A write path added later without calling redact() is masked all the same."""
    world = world_in(client)
    r = client.post(f"/api/v1/tickets?tenant={world.slug}", data=GOOD_FORM)
    kefu = kefu_of(client)

    async def raw_write() -> None:
        async with kefu.db.write() as s:
            conv = (
                await s.execute(
                    select(Conversation).where(
                        Conversation.number == r.json()["number"],
                        Conversation.tenant_id == world.tenant_id,
                    )
                )
            ).scalar_one()
            conv.details = {**conv.details, "tried": "密码是 hunter22"}

    assert client.portal is not None
    client.portal.call(raw_write)
    assert "hunter22" not in stored_text(client, world.tenant_id)
