"""The fake WeChat keeps WeChat's rules, over real HTTP, through kefu's own API client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from tests.livesrv import live_server

from kefu.channels.wechat import api as codes
from kefu.channels.wechat.api import WeChatApi, WeChatApiError
from kefu.channels.wechat.callback_xml import kf_doorbell, oa_message, parse_xml
from kefu.channels.wechat.crypto import CallbackKeys, CallbackRejected, new_aes_key
from kefu.clock import FakeClock
from kefu.wechat_sim.server import create_fake_wechat
from kefu.wechat_sim.world import Corp, FakeWeChat, OaApp

CORP, KF, USER = "ww0123456789abcdef", "wkAbCdEf0123", "wmUserA"
APPID = "wx1234567890abcdef"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeWeChat:
    world = FakeWeChat(clock)
    world.corps[CORP] = Corp(CORP, "kf-secret", "cbtoken", new_aes_key(), {KF: "官方客服"})
    world.oa_apps[APPID] = OaApp(APPID, "oa-secret", "gh_abcdef123456", "oatoken", new_aes_key())
    return world


@pytest.fixture
def base(fake: FakeWeChat) -> Iterator[str]:
    with live_server(create_fake_wechat(fake)) as url:
        yield url


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _with_api(base: str, fn: Any) -> Any:
    async with httpx.AsyncClient() as http:
        return await fn(WeChatApi(http, base))


def refused(base: str, fn: Any) -> int:
    with pytest.raises(WeChatApiError) as err:
        run(_with_api(base, fn))
    return err.value.errcode


def test_tokens_expire_after_7200_seconds(base: str, clock: FakeClock) -> None:
    token = run(_with_api(base, lambda api: api.corp_token(CORP, "kf-secret")))
    assert token.expires_in == 7200
    state = lambda api: api.kf_service_state(token.access_token, KF, USER)  # noqa: E731
    assert run(_with_api(base, state)) == 0
    clock.advance(seconds=7201)
    assert refused(base, state) == codes.TOKEN_EXPIRED
    assert refused(base, lambda api: api.corp_token(CORP, "wrong")) == 40001


def test_stable_token_is_shared_until_forced(base: str, clock: FakeClock) -> None:
    first = run(_with_api(base, lambda api: api.stable_token(APPID, "oa-secret")))
    again = run(_with_api(base, lambda api: api.stable_token(APPID, "oa-secret")))
    assert again.access_token == first.access_token
    forced = run(_with_api(base, lambda api: api.stable_token(APPID, "oa-secret", force=True)))
    assert forced.access_token != first.access_token
    clock.advance(minutes=6)  # the replaced token worked 5 more minutes, then not
    msg = {"touser": "oUser", "msgtype": "text", "text": {"content": "hi"}}
    assert refused(base, lambda api: api.custom_send(first.access_token, msg)) == 42001


def test_sync_msg_cursor_has_more_and_three_day_retention(
    base: str, fake: FakeWeChat, clock: FakeClock
) -> None:
    for i in range(5):
        fake.kf_customer_message(CORP, KF, USER, {"msgtype": "text", "text": {"content": f"m{i}"}})
        clock.advance(days=1)
    # now: m0 is 5 days old, m1 4, m2 3 (gone), m3 2, m4 1 day
    token = run(_with_api(base, lambda api: api.corp_token(CORP, "kf-secret"))).access_token

    async def pull(api: WeChatApi) -> list[str]:
        seen, cursor = [], ""
        while True:
            page = await api.kf_sync_msg(token, KF, cursor, "", limit=1)
            seen += [m["text"]["content"] for m in page["msg_list"]]
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return seen

    assert run(_with_api(base, pull)) == ["m3", "m4"]
    assert refused(base, lambda api: api.kf_sync_msg(token, "wkNope", "", "")) == 95000
    assert refused(base, lambda api: api.kf_sync_msg(token, KF, "", "ENCbad")) == 95007


def test_kf_send_window_and_states(base: str, fake: FakeWeChat, clock: FakeClock) -> None:
    fake.kf_customer_message(CORP, KF, USER, {"msgtype": "text", "text": {"content": "在吗"}})
    token = run(_with_api(base, lambda api: api.corp_token(CORP, "kf-secret"))).access_token
    msg = {"touser": USER, "open_kfid": KF, "msgtype": "text", "text": {"content": "您好"}}
    send = lambda api: api.kf_send_msg(token, msg)  # noqa: E731
    for _ in range(5):
        assert run(_with_api(base, send))
    assert refused(base, send) == codes.KF_SEND_LIMIT  # the sixth within 48 h
    fake.kf_customer_message(CORP, KF, USER, {"msgtype": "text", "text": {"content": "还在吗"}})
    assert run(_with_api(base, send))  # the customer wrote: five more
    clock.advance(hours=48, seconds=1)
    token = run(_with_api(base, lambda api: api.corp_token(CORP, "kf-secret"))).access_token
    send = lambda api: api.kf_send_msg(token, msg)  # noqa: E731
    assert refused(base, send) == codes.KF_OUT_OF_WINDOW
    fake.kf_customer_message(CORP, KF, USER, {"msgtype": "text", "text": {"content": "喂"}})
    run(_with_api(base, lambda api: api.kf_trans_state(token, KF, USER, 3)))
    assert refused(base, send) == codes.KF_STATE_FORBIDS_SEND  # the WeCom client has it
    bad = lambda api: api.kf_trans_state(token, KF, USER, 1)  # noqa: E731
    assert refused(base, bad) == codes.KF_BAD_STATE_CHANGE
    code = run(_with_api(base, lambda api: api.kf_trans_state(token, KF, USER, 4)))
    menu = {"msgtype": "msgmenu", "msgmenu": {"head_content": "评价", "list": []}}
    assert run(_with_api(base, lambda api: api.kf_send_on_event(token, code, menu)))
    assert refused(base, lambda api: api.kf_send_on_event(token, code, menu)) == 95014


def test_custom_send_45015_and_45047(base: str, fake: FakeWeChat, clock: FakeClock) -> None:
    token = run(_with_api(base, lambda api: api.stable_token(APPID, "oa-secret"))).access_token
    msg = {"touser": "oUser", "msgtype": "text", "text": {"content": "hi"}}
    send = lambda api: api.custom_send(token, msg)  # noqa: E731
    assert refused(base, send) == codes.OUT_OF_WINDOW  # never wrote
    fake.oa_user_spoke(APPID, "oUser")
    for _ in range(5):
        run(_with_api(base, send))
    assert refused(base, send) == codes.TOO_MANY_MESSAGES
    clock.advance(hours=49)
    fake.oa_user_spoke(APPID, "oUser")
    clock.advance(hours=48, minutes=1)
    token = run(_with_api(base, lambda api: api.stable_token(APPID, "oa-secret"))).access_token
    send = lambda api: api.custom_send(token, msg)  # noqa: E731
    assert refused(base, send) == codes.OUT_OF_WINDOW


def _receiver(keys: dict[str, CallbackKeys], got: list[dict[str, str]]) -> FastAPI:
    """A minimal callback endpoint: checks msg_signature, decrypts, keeps the fields."""
    app = FastAPI()

    @app.post("/cb/{name}")
    async def cb(name: str, request: Request) -> PlainTextResponse:
        q = request.query_params
        envelope = parse_xml(await request.body())
        try:
            inner = keys[name].open_envelope(
                q["timestamp"], q["nonce"], q.get("msg_signature"), envelope["Encrypt"]
            )
        except CallbackRejected:
            return PlainTextResponse("bad", status_code=403)
        got.append(parse_xml(inner))
        return PlainTextResponse("success")

    return app


def test_callbacks_are_signed_and_encrypted_and_key_rotation(base: str, fake: FakeWeChat) -> None:
    corp, app = fake.corps[CORP], fake.oa_apps[APPID]
    old_key = app.aes_key
    keys = {
        "kf": CallbackKeys(corp.token, CORP, corp.aes_key),
        "oa": CallbackKeys(app.token, APPID, old_key),
    }
    got: list[dict[str, str]] = []
    with live_server(_receiver(keys, got)) as receiver:
        corp.callback_url, app.callback_url = f"{receiver}/cb/kf", f"{receiver}/cb/oa"
        say = httpx.post(f"{base}/sim/wecom/{CORP}/{KF}/say", json={"user": USER, "text": "你好"})
        assert say.json() == {"callbacks": [200]}
        bell = kf_doorbell(got[-1])
        assert bell is not None and bell.open_kfid == KF and bell.token.startswith("ENC")
        httpx.post(f"{base}/sim/oa/{APPID}/say", json={"user": "oU1", "text": "退款"})
        assert oa_message(got[-1]).content == "退款" and oa_message(got[-1]).msg_id
        rotated = httpx.post(f"{base}/sim/oa/{APPID}/rotate_key").json()
        # the receiver still has the old key only: WeChat's new ciphertext is refused...
        stale = httpx.post(f"{base}/sim/oa/{APPID}/say", json={"user": "oU1", "text": "x"})
        assert stale.json() == {"callbacks": [403]}
        # ...until it holds the new key with the old as previous: both decrypt
        keys["oa"] = CallbackKeys(app.token, APPID, rotated["aes_key"], old_key)
        ok = httpx.post(f"{base}/sim/oa/{APPID}/say", json={"user": "oU1", "click": "kefu"})
        assert ok.json() == {"callbacks": [200]}
        assert oa_message(got[-1]).event == "CLICK"
        assert keys["oa"].decrypt(CallbackKeys(app.token, APPID, old_key).encrypt("<xml/>"))
        # a forged signature is refused
        forged = keys["kf"]
        with pytest.raises(CallbackRejected):
            forged.check_signature("1", "2", "0" * 40, "abc")


def test_verify_url_round_trip(base: str, fake: FakeWeChat) -> None:
    corp = fake.corps[CORP]
    keys = CallbackKeys(corp.token, CORP, corp.aes_key)
    app = FastAPI()

    @app.get("/cb")
    async def verify(msg_signature: str, timestamp: str, nonce: str, echostr: str) -> Any:
        return PlainTextResponse(keys.open_envelope(timestamp, nonce, msg_signature, echostr))

    with live_server(app) as receiver:
        corp.callback_url = f"{receiver}/cb"
        assert httpx.post(f"{base}/sim/verify/wecom/{CORP}").json() == {"status": 200, "ok": True}
