"""The WeChat HTTP APIs kefu calls, over httpx, with WeChat's error codes.

Two hosts: ``api.weixin.qq.com`` (Official Account) and ``qyapi.weixin.qq.com`` (WeCom);
each app's settings carry its base URL so the fake WeChat (``kefu wechat-sim``) can stand
in for both. Every answer is JSON with ``errcode`` (0 = ok) and ``errmsg``.

wechatpy 1.8.18's ``sync_msg`` has no ``open_kfid`` (needed for kf), so the kf calls are
plain JSON posts here; the shapes follow WeCom's 微信客服 documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

OA_API = "https://api.weixin.qq.com"
WECOM_API = "https://qyapi.weixin.qq.com"

# Error codes kefu acts on (WeChat's global code tables).
INVALID_CREDENTIAL = 40001  # OA: invalid access_token / secret
INVALID_ACCESS_TOKEN = 40014  # WeCom: invalid access_token
TOKEN_EXPIRED = 42001
OUT_OF_WINDOW = 45015  # OA custom/send: more than 48 h since the user's last message
TOO_MANY_MESSAGES = 45047  # OA custom/send: over the per-window limit
KF_INVALID_OPEN_KFID = 95000
KF_SEND_LIMIT = 95001  # kf send_msg: message count limit within the window
KF_OUT_OF_WINDOW = 95002  # kf send_msg: window closed
KF_INVALID_MSG_TOKEN = 95007
KF_BAD_STATE_CHANGE = 95016
KF_STATE_FORBIDS_SEND = 95018

TOKEN_ERRORS = frozenset({INVALID_CREDENTIAL, INVALID_ACCESS_TOKEN, TOKEN_EXPIRED})
WINDOW_ERRORS = frozenset({OUT_OF_WINDOW, TOO_MANY_MESSAGES, KF_SEND_LIMIT, KF_OUT_OF_WINDOW})


class WeChatApiError(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def token_invalid(self) -> bool:
        return self.errcode in TOKEN_ERRORS

    @property
    def window_closed(self) -> bool:
        return self.errcode in WINDOW_ERRORS


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


def _checked(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    code = int(data.get("errcode", 0) or 0)
    if code != 0:
        raise WeChatApiError(code, str(data.get("errmsg", "")))
    return data


class WeChatApi:
    """One app's API host. ``http`` is shared (connection pool); nothing here caches tokens
    (that is the token service's job, actions/wechat_tokens.py)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")

    async def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        return _checked(await self.http.get(self.base_url + path, params=params))

    async def _post(
        self, path: str, body: dict[str, Any], token: str | None = None
    ) -> dict[str, Any]:
        params = {"access_token": token} if token is not None else None
        return _checked(await self.http.post(self.base_url + path, params=params, json=body))

    # -- tokens --------------------------------------------------------------------------
    async def stable_token(self, appid: str, secret: str, force: bool = False) -> IssuedToken:
        """OA ``cgi-bin/stable_token``: the same token to every caller until it expires,
        so fetching it does not invalidate another holder's (unlike ``cgi-bin/token``)."""
        body = {
            "grant_type": "client_credential",
            "appid": appid,
            "secret": secret,
            "force_refresh": force,
        }
        data = await self._post("/cgi-bin/stable_token", body)
        return IssuedToken(str(data["access_token"]), int(data["expires_in"]))

    async def corp_token(self, corpid: str, secret: str) -> IssuedToken:
        """WeCom ``cgi-bin/gettoken`` with the 微信客服 secret."""
        data = await self._get("/cgi-bin/gettoken", {"corpid": corpid, "corpsecret": secret})
        return IssuedToken(str(data["access_token"]), int(data["expires_in"]))

    # -- WeCom 微信客服 ----------------------------------------------------------------------
    async def kf_sync_msg(
        self, token: str, open_kfid: str, cursor: str, callback_token: str, limit: int = 1000
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"cursor": cursor, "open_kfid": open_kfid, "limit": limit}
        if callback_token:
            body["token"] = callback_token
        return await self._post("/cgi-bin/kf/sync_msg", body, token)

    async def kf_send_msg(self, token: str, message: dict[str, Any]) -> str:
        data = await self._post("/cgi-bin/kf/send_msg", message, token)
        return str(data.get("msgid", ""))

    async def kf_service_state(self, token: str, open_kfid: str, external_userid: str) -> int:
        body = {"open_kfid": open_kfid, "external_userid": external_userid}
        data = await self._post("/cgi-bin/kf/service_state/get", body, token)
        return int(data["service_state"])

    async def kf_trans_state(
        self, token: str, open_kfid: str, external_userid: str, state: int
    ) -> str:
        """Move the session; answers a ``msg_code`` for send_msg_on_event (e.g. the 4 →
        satisfaction menu)."""
        body = {"open_kfid": open_kfid, "external_userid": external_userid, "service_state": state}
        data = await self._post("/cgi-bin/kf/service_state/trans", body, token)
        return str(data.get("msg_code", ""))

    async def kf_send_on_event(self, token: str, code: str, message: dict[str, Any]) -> str:
        data = await self._post("/cgi-bin/kf/send_msg_on_event", {"code": code, **message}, token)
        return str(data.get("msgid", ""))

    # -- Official Account ----------------------------------------------------------------
    async def custom_send(self, token: str, message: dict[str, Any]) -> None:
        await self._post("/cgi-bin/message/custom/send", message, token)
