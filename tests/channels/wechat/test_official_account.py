"""Official Account end to end in 安全模式 against the fake WeChat: retried pushes store
once, the bot answers through custom/send, the EncodingAESKey changes in the middle
(kefu keeps the previous one), the 在线客服 menu starts a conversation, forged pushes are
refused, and WeChat's URL checks pass for both channels."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from test_wecom_kf import wait_for

from conftest import APPID, CORP, OA_ID, Stack
from kefu.channels.wechat.crypto import new_aes_key
from kefu.storage.models import Conversation, Event


async def _messages(stack: Stack) -> list[tuple[str, str]]:
    async with stack.kefu.db.read() as session:
        rows = await session.execute(
            select(Conversation.public_id, Event.body)
            .join(Event, Event.conversation_id == Conversation.id)
            .where(
                Conversation.tenant_id == stack.world.tenant_id,
                Event.type == "message",
                Event.author_type == "customer",
            )
            .order_by(Event.id)
        )
        return [(str(a), str(b)) for a, b in rows.all()]


async def _conversations(stack: Stack) -> int:
    async with stack.kefu.db.read() as session:
        return int(
            (
                await session.execute(
                    select(func.count())
                    .select_from(Conversation)
                    .where(Conversation.tenant_id == stack.world.tenant_id)
                )
            ).scalar_one()
        )


def bodies(stack: Stack) -> list[str]:
    return [b for _p, b in stack.run(_messages(stack))]


def test_official_account_safe_mode_with_key_rotation(stack: Stack) -> None:
    user = "oUserSafe0001"
    # one push, delivered three times (WeChat's retries): stored once, answered once
    assert stack.oa_say(user, text="你好，充值没到账", repeat=3) == {"callbacks": [200, 200, 200]}
    wait_for(lambda: stack.inbox(APPID, user))
    assert bodies(stack) == ["你好，充值没到账"]
    wait_for(lambda: len(stack.inbox(APPID, user)) == 1)

    # the admin changes the EncodingAESKey in kefu first; WeChat still uses the old one
    new_key = new_aes_key()
    admin = stack.staff("admin")
    r = admin.put(
        "/api/v1/wechat/setup",
        json={"official_accounts": [{"app_id": APPID, "original_id": OA_ID, "aes_key": new_key}]},
    )
    assert r.status_code == 200, r.text
    setup = r.json()["official_accounts"][0]
    assert setup["mode"] == "safe" and setup["previous_aes_key_set"] is True
    assert setup["callback_url"].endswith(f"/api/v1/wechat/{stack.world.slug}/oa/{APPID}")
    assert new_key not in r.text and "oa-secret-1" not in r.text
    assert stack.oa_say(user, text="还在吗")["callbacks"] == [200]  # the old key: previous
    stack.fake.oa_apps[APPID].aes_key = new_key  # WeChat switches
    assert stack.oa_say(user, text="订单号 20261122001")["callbacks"] == [200]
    wait_for(lambda: len(bodies(stack)) == 3)
    assert bodies(stack) == ["你好，充值没到账", "还在吗", "订单号 20261122001"]
    assert stack.run(_conversations(stack)) == 1

    # a forged push is refused and stores nothing
    url = stack.fake.oa_apps[APPID].callback_url
    forged = httpx.post(
        url,
        params={"signature": "0" * 40, "timestamp": "1", "nonce": "2", "openid": user},
        content="<xml><ToUserName>x</ToUserName><Encrypt>abc</Encrypt></xml>",
    )
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "forbidden"
    # a bad setting is refused in Chinese and English, nothing saved
    bad = admin.put(
        "/api/v1/wechat/setup",
        json={"official_accounts": [{"app_id": APPID, "original_id": OA_ID, "aes_key": "short"}]},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_wechat_settings"
    assert stack.oa_say(user, text="再问一次")["callbacks"] == [200]  # the key still works

    # the 在线客服 menu button starts a conversation for a new user
    other = "oUserMenu0002"
    assert stack.oa_say(other, click="kefu")["callbacks"] == [200]
    wait_for(lambda: len(bodies(stack)) == 5)  # the tap, as the greeting 你好
    assert stack.run(_conversations(stack)) == 2
    wait_for(lambda: stack.inbox(APPID, other))  # answered through custom/send


def test_wechat_url_checks(stack: Stack) -> None:
    for kind, account in (("wecom", CORP), ("oa", APPID)):
        r = stack.http.post(f"{stack.wechat_url}/sim/verify/{kind}/{account}")
        assert r.json() == {"status": 200, "ok": True}
    # a wrong signature on the URL check is refused
    url = stack.fake.oa_apps[APPID].callback_url
    r = httpx.get(url, params={"signature": "x", "timestamp": "1", "nonce": "2", "echostr": "e"})
    assert r.status_code == 403


def test_plaintext_secret_cannot_be_stored_through_generic_settings(stack: Stack) -> None:
    admin = stack.staff("admin")
    wechat = admin.get("/api/v1/tenant/settings").json()["wechat"]
    assert wechat["official_accounts"][0]["secret"].startswith("sealed:v1:")
    wechat["official_accounts"][0]["secret"] = "plain-secret"
    r = admin.request("PATCH", "/api/v1/tenant/settings", json={"wechat": wechat})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_tenant_settings"
    # an agent may not read the setup
    assert stack.staff("alice").get("/api/v1/wechat/setup").status_code == 403
