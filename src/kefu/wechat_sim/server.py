"""The fake WeChat over real HTTP: the API endpoints kefu calls and ``/sim/...`` for the
person (or test) playing a WeChat user, whose messages reach kefu as signed, encrypted
callbacks exactly as WeChat sends them."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from kefu.channels.wechat.callback_xml import build_xml, encrypted_envelope
from kefu.channels.wechat.crypto import CallbackKeys, new_aes_key, signature
from kefu.wechat_sim.page import sim_page
from kefu.wechat_sim.world import FakeWeChat, Refused

CALLBACK_TIMEOUT = 5.0  # WeChat waits 5 s for an Official Account's answer
OA_ATTEMPTS = 3


def _error(exc: Refused) -> JSONResponse:
    return JSONResponse({"errcode": exc.errcode, "errmsg": exc.errmsg})


def _ok(**fields: Any) -> JSONResponse:
    return JSONResponse({"errcode": 0, "errmsg": "ok", **fields})


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise Refused(47001, "data format error") from None
    if not isinstance(body, dict):
        raise Refused(47001, "data format error")
    return body


def create_fake_wechat(fake: FakeWeChat) -> FastAPI:
    app = FastAPI(title="fake WeChat", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.fake = fake

    @app.exception_handler(Refused)
    async def refused(_request: Request, exc: Refused) -> JSONResponse:
        return _error(exc)

    # -- api.weixin.qq.com -------------------------------------------------------------------
    @app.post("/cgi-bin/stable_token")
    async def stable_token(request: Request) -> JSONResponse:
        body = await _json(request)
        if body.get("grant_type") != "client_credential":
            raise Refused(40002, "invalid grant_type")
        token, ttl = fake.stable_token(
            str(body.get("appid", "")), str(body.get("secret", "")), bool(body.get("force_refresh"))
        )
        return JSONResponse({"access_token": token, "expires_in": ttl})

    @app.post("/cgi-bin/message/custom/send")
    async def custom_send(request: Request, access_token: str = "") -> JSONResponse:
        owner = fake.owner_of(access_token)
        if not owner.startswith("oa:"):
            raise Refused(40001, "invalid credential")
        fake.custom_send(owner[3:], await _json(request))
        return _ok()

    # -- qyapi.weixin.qq.com -----------------------------------------------------------------
    @app.get("/cgi-bin/gettoken")
    async def gettoken(corpid: str = "", corpsecret: str = "") -> JSONResponse:
        token, ttl = fake.corp_token(corpid, corpsecret)
        return _ok(access_token=token, expires_in=ttl)

    def corp_of(token: str) -> str:
        owner = fake.owner_of(token)
        if not owner.startswith("corp:"):
            raise Refused(40014, "invalid access_token")
        return owner[5:]

    @app.post("/cgi-bin/kf/sync_msg")
    async def sync_msg(request: Request, access_token: str = "") -> JSONResponse:
        corpid = corp_of(access_token)
        return JSONResponse(fake.sync_msg(corpid, await _json(request)))

    @app.post("/cgi-bin/kf/send_msg")
    async def send_msg(request: Request, access_token: str = "") -> JSONResponse:
        corpid = corp_of(access_token)
        return _ok(msgid=fake.kf_send(corpid, await _json(request)))

    @app.post("/cgi-bin/kf/service_state/get")
    async def state_get(request: Request, access_token: str = "") -> JSONResponse:
        corpid = corp_of(access_token)
        body = await _json(request)
        state = fake.kf_state(corpid, str(body.get("open_kfid")), str(body.get("external_userid")))
        return _ok(service_state=state, servicer_userid="")

    @app.post("/cgi-bin/kf/service_state/trans")
    async def state_trans(request: Request, access_token: str = "") -> JSONResponse:
        corpid = corp_of(access_token)
        body = await _json(request)
        code = fake.kf_trans(
            corpid,
            str(body.get("open_kfid")),
            str(body.get("external_userid")),
            int(body.get("service_state", -1)),
        )
        return _ok(msg_code=code)

    @app.post("/cgi-bin/kf/send_msg_on_event")
    async def send_on_event(request: Request, access_token: str = "") -> JSONResponse:
        corp_of(access_token)
        return _ok(msgid=fake.kf_send_on_event(await _json(request)))

    # -- the WeChat user's side --------------------------------------------------------------
    @app.post("/sim/wecom/{corpid}/{open_kfid}/say")
    async def wecom_say(corpid: str, open_kfid: str, request: Request) -> JSONResponse:
        body = await _json(request)
        token = fake.kf_customer_message(corpid, open_kfid, str(body["user"]), _kf_message(body))
        statuses = []
        for _ in range(int(body.get("doorbells", 1))):
            statuses.append(await ring_wecom(fake, corpid, open_kfid, token))
        return JSONResponse({"callbacks": statuses})

    @app.post("/sim/oa/{appid}/say")
    async def oa_say(appid: str, request: Request) -> JSONResponse:
        body = await _json(request)
        user = str(body["user"])
        fields = _oa_message(fake, appid, user, body)
        statuses = []
        for _ in range(int(body.get("repeat", 1))):  # WeChat's retries of one push
            statuses.append(await push_oa(fake, appid, fields))
        return JSONResponse({"callbacks": statuses})

    @app.post("/sim/oa/{appid}/rotate_key")
    async def rotate_key(appid: str) -> JSONResponse:
        app_ = fake.oa_apps[appid]
        previous, app_.aes_key = app_.aes_key, new_aes_key()
        return JSONResponse({"aes_key": app_.aes_key, "previous_aes_key": previous})

    @app.post("/sim/verify/{kind}/{account}")
    async def verify(kind: str, account: str) -> JSONResponse:
        return JSONResponse(await verify_url(fake, kind, account))

    @app.get("/sim/inbox")
    async def inbox(account: str, user: str) -> JSONResponse:
        return JSONResponse(
            [
                {"at": d.at.isoformat(), "kind": d.kind, "message": d.message}
                for d in fake.inbox(account, user)
            ]
        )

    @app.post("/sim/form/{kind}/{account}")
    @app.post("/sim/form/{kind}/{corpid}/{account}")
    async def form(kind: str, account: str, request: Request, corpid: str = "") -> Response:
        data = await request.form()
        user = str(data.get("user", "wx_newcomer"))
        if kind == "wecom":
            msg = {"msgtype": "text", "text": {"content": str(data.get("text", ""))}}
            token = fake.kf_customer_message(corpid, account, user, msg)
            await ring_wecom(fake, corpid, account, token)
        else:
            said: dict[str, Any] = {"text": str(data.get("text", ""))}
            if data.get("click"):
                said = {"click": str(data["click"])}
            await push_oa(fake, account, _oa_message(fake, account, user, said))
        return RedirectResponse(f"/sim?user={user}", status_code=303)

    @app.get("/sim")
    async def page(user: str = "wx_newcomer") -> Response:
        return Response(sim_page(fake, user), media_type="text/html; charset=utf-8")

    return app


def _kf_message(body: dict[str, Any]) -> dict[str, Any]:
    msgtype = str(body.get("msgtype", "text"))
    if msgtype == "text":
        text: dict[str, str] = {"content": str(body.get("text", ""))}
        if body.get("menu_id"):  # the tap on a msgmenu item comes back as text + menu_id
            text["menu_id"] = str(body["menu_id"])
        return {"msgtype": "text", "text": text}
    if msgtype == "event":
        return {"msgtype": "event", "event": dict(body.get("event", {}))}
    if msgtype == "location":
        return {"msgtype": "location", "location": dict(body.get("location", {}))}
    # image / voice / file: a media_id the customer's upload got
    return {
        msgtype: {"media_id": str(body.get("media_id", secrets.token_hex(8)))},
        "msgtype": msgtype,
    }


def _oa_message(
    fake: FakeWeChat, appid: str, user: str, body: dict[str, Any]
) -> dict[str, str | int]:
    app = fake.oa_apps[appid]
    now = int(fake.clock.now().timestamp())
    fields: dict[str, str | int] = {
        "ToUserName": app.original_id,
        "FromUserName": user,
        "CreateTime": now,
    }
    if "click" in body:
        fields.update(MsgType="event", Event="CLICK", EventKey=str(body["click"]))
    else:
        fields.update(MsgType="text", Content=str(body.get("text", "")))
        if body.get("menu_id"):
            fields["bizmsgmenuid"] = str(body["menu_id"])
        fields["MsgId"] = int(str(now) + str(secrets.randbelow(10**6)).zfill(6))
    fake.oa_user_spoke(appid, user)
    return fields


def _query(fake: FakeWeChat, token: str, encrypt: str | None = None) -> dict[str, str]:
    timestamp = str(int(fake.clock.now().timestamp()))
    nonce = str(secrets.randbelow(10**10))
    query = {
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": signature(token, timestamp, nonce),
    }
    if encrypt is not None:
        query["msg_signature"] = signature(token, timestamp, nonce, encrypt)
    return query


async def ring_wecom(fake: FakeWeChat, corpid: str, open_kfid: str, token: str) -> int:
    corp = fake.corps[corpid]
    inner = build_xml(
        {
            "ToUserName": corpid,
            "CreateTime": int(fake.clock.now().timestamp()),
            "MsgType": "event",
            "Event": "kf_msg_or_event",
            "Token": token,
            "OpenKfId": open_kfid,
        }
    )
    keys = CallbackKeys(corp.token, corpid, corp.aes_key)
    encrypt = keys.encrypt(inner)
    query = _query(fake, corp.token, encrypt)
    del query["signature"]  # WeCom sends msg_signature only
    try:
        async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT) as http:
            response = await http.post(
                corp.callback_url, params=query, content=encrypted_envelope(corpid, encrypt)
            )
    except httpx.HTTPError:
        return 0  # kefu unreachable: WeChat would ring again with the next message
    return response.status_code


async def push_oa(fake: FakeWeChat, appid: str, fields: dict[str, str | int]) -> int:
    """One push, retried by WeChat (up to 3 attempts) when the answer is late or not 200."""
    app = fake.oa_apps[appid]
    inner = build_xml(fields)
    status = 0
    for _ in range(OA_ATTEMPTS):
        if app.aes_key:
            encrypt = CallbackKeys(app.token, appid, app.aes_key).encrypt(inner)
            query = _query(fake, app.token, encrypt)
            query["encrypt_type"] = "aes"
            content = encrypted_envelope(app.original_id, encrypt)
        else:
            query, content = _query(fake, app.token), inner
        query["openid"] = str(fields["FromUserName"])
        try:
            async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT) as http:
                response = await http.post(app.callback_url, params=query, content=content)
            status = response.status_code
            if status == 200:
                return status
        except httpx.HTTPError:
            status = 0
    return status


async def verify_url(fake: FakeWeChat, kind: str, account: str) -> dict[str, Any]:
    """What WeChat's console does when an admin saves the callback URL: a GET with an
    echostr the server must answer (decrypted, for WeCom)."""
    echo = secrets.token_hex(8)
    if kind == "wecom":
        corp = fake.corps[account]
        encrypted = CallbackKeys(corp.token, account, corp.aes_key).encrypt(echo)
        query = _query(fake, corp.token, encrypted)
        del query["signature"]
        query["echostr"] = encrypted
        url = corp.callback_url
    else:
        app = fake.oa_apps[account]
        query = _query(fake, app.token)
        query["echostr"] = echo
        url = app.callback_url
    async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT) as http:
        response = await http.get(url, params=query)
    return {"status": response.status_code, "ok": response.text == echo}
