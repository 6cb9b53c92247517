"""The help center pages and the ticket form: values survive errors, attachments checked."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.clock import FakeClock
from kefu.storage.models import Attachment, Conversation, Event, Tenant
from tests.api.conftest import kefu_of
from tests.helpcenter.conftest import GOOD_FORM, PDF_BYTES, file_ticket, png_bytes, track
from tests.world import As, World


def _rows(client: TestClient, model: type, *where: object) -> list:  # type: ignore[type-arg]
    async def go() -> list:  # type: ignore[type-arg]
        async with kefu_of(client).db.read() as s:
            return list((await s.execute(select(model).where(*where))).scalars())

    assert client.portal is not None
    return client.portal.call(go)


def test_form_error_keeps_every_value_and_explains_in_chinese(
    client: TestClient, world: World
) -> None:
    bad = {**GOOD_FORM, "description": "短", "contact_email": "not-an-email", "order_no": ""}
    r = client.post(f"/help/{world.slug}/ticket", data=bad)
    assert r.status_code == 422
    page = r.text
    assert "请描述一下问题（至少 5 个字）" in page
    assert "邮箱格式不正确" in page
    assert "该类问题需要订单号" in page
    for field in ("occurred_at", "error_message", "tried", "contact_email"):
        assert f'value="{bad[field]}"' in page, field
    assert "138 0000 5678" in page
    assert '<option value="recharge" data-hint' in page and "selected" in page
    assert ">短</textarea>" in page
    assert _rows(client, Conversation, Conversation.tenant_id == world.tenant_id) == []


def test_api_lists_field_errors(client: TestClient, world: World) -> None:
    r = client.post(f"/api/v1/tickets?tenant={world.slug}", data={"category": "nope"})
    assert r.status_code == 422
    fields = r.json()["error"]["details"]["fields"]
    assert set(fields) >= {"category", "occurred_at", "description", "contact"}
    assert fields["contact"].startswith("请至少留下")


def test_ticket_with_screenshot_and_pdf(client: TestClient, world: World) -> None:
    out = file_ticket(
        client, world.slug, files=[("截图.png", png_bytes()), ("凭证.pdf", PDF_BYTES)]
    )
    assert out["number"].startswith("KF-")
    assert f"/help/{world.slug}/t/" in out["tracking_url"]
    conv = _rows(
        client,
        Conversation,
        Conversation.number == out["number"],
        Conversation.tenant_id == world.tenant_id,
    )[0]
    assert conv.channel == "ticket" and conv.status == "queued"
    assert conv.contact_email == "buyer@example.com" and conv.contact_phone_last4 == "5678"
    assert conv.details["order_no"] == "KM20261123100012345"
    assert conv.details["tried"] == "重新登录游戏"
    atts = _rows(client, Attachment, Attachment.conversation_id == conv.id)
    assert sorted(a.content_type for a in atts) == ["application/pdf", "image/png"]
    event = _rows(client, Event, Event.conversation_id == conv.id)[0]
    assert "订单号：KM20261123100012345" in event.body
    assert len(event.data["attachments"]) == 2
    view = track(client, out["token"])
    assert view["items"][0]["data"]["attachments"][0]["filename"] == "截图.png"
    file_id = view["items"][0]["data"]["attachments"][0]["id"]
    r = client.get(f"/help/{world.slug}/t/{out['token']}/files/{file_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"


def test_fake_image_is_refused_and_nothing_is_lost(client: TestClient, world: World) -> None:
    r = client.post(
        f"/help/{world.slug}/ticket",
        data=GOOD_FORM,
        files=[("attachments", ("shot.png", b"MZ\x90\x00 not an image", "image/png"))],
    )
    assert r.status_code == 422
    assert "不是图片或 PDF 文件" in r.text
    assert GOOD_FORM["description"] in r.text
    assert _rows(client, Conversation, Conversation.tenant_id == world.tenant_id) == []


def test_html_form_success_page(client: TestClient, world: World) -> None:
    r = client.post(f"/help/{world.slug}/ticket", data={**GOOD_FORM, "contact_email": ""})
    assert r.status_code == 201
    assert 'data-testid="ticket-number">KF-' in r.text
    assert "查看处理进度" in r.text


def test_home_shows_ways_to_a_person_channels_rule_and_banner(
    client: TestClient, seeded: World, clock: FakeClock, admin: As
) -> None:
    async def channels() -> None:
        async with kefu_of(client).db.write() as s:
            t = await s.get(Tenant, seeded.tenant_id)
            assert t is not None
            t.settings = {
                "official_channels": [{"type": "qq", "value": "800012345", "label": "官方客服 QQ"}]
            }

    assert client.portal is not None
    client.portal.call(channels)
    now = clock.now()
    r = admin.post(
        "/api/v1/announcements",
        json={
            "title": "系统维护",
            "body": "今晚 2 点维护",
            "level": "maintenance",
            "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    admin.post(
        "/api/v1/announcements",
        json={"title": "明天的公告", "starts_at": (now + timedelta(days=1)).isoformat()},
    )
    page = client.get(f"/help/{seeded.slug}").text
    assert "系统维护" in page and "明天的公告" not in page
    assert "客服不会索要密码、验证码，也不会要求转账" in page
    assert "800012345" in page
    assert f'<script src="/widget.js" data-tenant="{seeded.slug}"' in page
    assert f"/help/{seeded.slug}/ticket?category=callback" in page
    assert "充值与到账" in page
    # the widget shows the same banner, with its start and end
    config = client.get("/api/v1/widget/config", params={"tenant": seeded.slug}).json()
    assert [a["title"] for a in config["announcements"]] == ["系统维护"]
    assert config["announcements"][0]["ends_at"]
    clock.advance(hours=3)
    assert "系统维护" not in client.get(f"/help/{seeded.slug}").text
    active = client.get(f"/api/v1/announcements/active?tenant={seeded.slug}").json()
    assert active == []  # maintenance is over; tomorrow's notice has not started
    config = client.get("/api/v1/widget/config", params={"tenant": seeded.slug}).json()
    assert config["announcements"] == []


def test_two_character_searches_find_articles(client: TestClient, seeded: World) -> None:
    for q, expected in (("退款", "退款"), ("到账", "到账"), ("卡密", "卡密")):
        r = client.get(f"/help/{seeded.slug}/search", params={"q": q})
        assert r.status_code == 200
        assert 'data-testid="help-search-results"' in r.text
        assert r.text.count("/a/") >= 1, q
        assert expected in r.text
    partial = client.get(f"/help/{seeded.slug}/search", params={"q": "充值没到账", "partial": 1})
    assert 'data-testid="help-suggestions"' in partial.text


def test_category_article_and_vote(client: TestClient, seeded: World) -> None:
    page = client.get(f"/help/{seeded.slug}/c/退款")
    assert page.status_code == 200
    slug = page.text.split(f"/help/{seeded.slug}/a/")[1].split('"')[0]
    art = client.get(f"/help/{seeded.slug}/a/{slug}")
    assert "有用" in art.text and "没用" in art.text
    r = client.post(
        f"/help/{seeded.slug}/a/{slug}/vote", data={"helpful": "0"}, follow_redirects=False
    )
    assert r.status_code == 303
    thanks = client.get(r.headers["location"]).text
    assert "谢谢反馈" in thanks and "提交工单" in thanks
    hx = client.post(
        f"/help/{seeded.slug}/a/{slug}/vote", data={"helpful": "1"}, headers={"HX-Request": "true"}
    )
    assert 'data-testid="vote-thanks"' in hx.text
    assert client.get(f"/help/{seeded.slug}/c/不存在").status_code == 404
    assert client.get("/help/no-such-tenant").status_code == 404
