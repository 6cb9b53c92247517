"""The fake WeChat's state and rules, in memory, on an injected clock.

Rules kept (as WeChat documents them): access tokens live 7200 s, ``stable_token`` hands
every caller the same token until it expires (``force_refresh`` replaces it, the old one
still works 5 minutes); the kf message store keeps 3 days and is read with an opaque
cursor, ``limit`` ≤ 1000 and ``has_more``; the callback ``Token`` lives 10 minutes;
``send_msg`` only in service_state 0/1, at most 5 messages within 48 h of the customer's
last message; OA ``custom/send`` the same 5 within 48 h (45015 / 45047).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kefu.channels.wechat import api as codes
from kefu.clock import Clock

TOKEN_TTL = timedelta(seconds=7200)
OLD_TOKEN_GRACE = timedelta(minutes=5)
KF_RETENTION = timedelta(days=3)
CALLBACK_TOKEN_TTL = timedelta(minutes=10)
REPLY_WINDOW = timedelta(hours=48)
WINDOW_MESSAGES = 5
MSG_CODE_TTL = timedelta(seconds=20)
# service_state moves WeCom allows: 0 new, 1 智能助手, 2 待接入池, 3 人工接待, 4 已结束
KF_TRANSITIONS = {0: {1, 2, 3, 4}, 1: {2, 3, 4}, 2: {3, 4}, 3: {4}, 4: set()}


class Refused(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass
class OaApp:
    appid: str
    secret: str
    original_id: str  # gh_…
    token: str
    aes_key: str | None = None  # None: plaintext mode
    callback_url: str = ""


@dataclass
class Corp:
    corpid: str
    secret: str
    token: str
    aes_key: str
    kf_accounts: dict[str, str] = field(default_factory=dict)  # open_kfid -> name
    callback_url: str = ""


@dataclass
class Window:
    last_user_at: datetime | None = None
    sent: int = 0
    state: int = 0  # kf service_state (unused for the OA)


@dataclass
class Issued:
    owner: str
    expires_at: datetime


@dataclass
class KfRecord:
    seq: int
    send_time: datetime
    body: dict[str, Any]


@dataclass
class Delivered:
    """A message WeChat delivered to a user (what the person sees on the phone)."""

    at: datetime
    kind: str  # "kf" or "oa"
    account: str
    user: str
    message: dict[str, Any]


class FakeWeChat:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.oa_apps: dict[str, OaApp] = {}
        self.corps: dict[str, Corp] = {}
        self.tokens: dict[str, Issued] = {}
        self.stable: dict[str, str] = {}
        self.kf_log: dict[str, list[KfRecord]] = {}
        self.callback_tokens: dict[str, datetime] = {}
        self.msg_codes: dict[str, tuple[str, str, datetime]] = {}
        self.windows: dict[tuple[str, str], Window] = {}
        self.delivered: list[Delivered] = []
        self.token_requests: int = 0
        self._seq = 0

    # -- tokens --------------------------------------------------------------------------
    def _issue(self, owner: str) -> tuple[str, int]:
        token = secrets.token_urlsafe(48)
        self.tokens[token] = Issued(owner, self.clock.now() + TOKEN_TTL)
        self.token_requests += 1
        return token, int(TOKEN_TTL.total_seconds())

    def _retire(self, token: str | None) -> None:
        issued = self.tokens.get(token or "")
        if issued is not None:
            issued.expires_at = min(issued.expires_at, self.clock.now() + OLD_TOKEN_GRACE)

    def stable_token(self, appid: str, secret: str, force: bool) -> tuple[str, int]:
        app = self.oa_apps.get(appid)
        if app is None:
            raise Refused(40013, "invalid appid")
        if secret != app.secret:
            raise Refused(codes.INVALID_CREDENTIAL, "invalid credential, access_token is invalid")
        current = self.stable.get(appid)
        issued = self.tokens.get(current or "")
        now = self.clock.now()
        if current and issued and issued.expires_at > now and not force:
            return current, int((issued.expires_at - now).total_seconds())
        self._retire(current)
        token, ttl = self._issue(f"oa:{appid}")
        self.stable[appid] = token
        return token, ttl

    def corp_token(self, corpid: str, secret: str) -> tuple[str, int]:
        corp = self.corps.get(corpid)
        if corp is None:
            raise Refused(40013, "invalid corpid")
        if secret != corp.secret:
            raise Refused(40001, "invalid secret")
        return self._issue(f"corp:{corpid}")

    def check_token(self, token: str | None, owner: str) -> None:
        issued = self.tokens.get(token or "")
        if issued is None or issued.owner != owner:
            code = codes.INVALID_CREDENTIAL if owner.startswith("oa:") else 40014
            raise Refused(code, "invalid access_token")
        if issued.expires_at <= self.clock.now():
            raise Refused(codes.TOKEN_EXPIRED, "access_token expired")

    def owner_of(self, token: str | None) -> str:
        issued = self.tokens.get(token or "")
        if issued is None:
            raise Refused(40014, "invalid access_token")
        self.check_token(token, issued.owner)
        return issued.owner

    # -- the customer's side ---------------------------------------------------------------
    def _window(self, account: str, user: str) -> Window:
        return self.windows.setdefault((account, user), Window())

    def user_spoke(self, account: str, user: str) -> Window:
        window = self._window(account, user)
        window.last_user_at = self.clock.now()
        window.sent = 0
        if window.state == 4:
            window.state = 0  # a new session
        return window

    def kf_customer_message(
        self, corpid: str, open_kfid: str, user: str, msg: dict[str, Any]
    ) -> str:
        """A WeChat user writes to a kf account: stored for sync_msg; returns the doorbell
        Token."""
        corp = self.corps[corpid]
        if open_kfid not in corp.kf_accounts:
            raise Refused(codes.KF_INVALID_OPEN_KFID, "invalid open_kfid")
        if msg.get("msgtype") != "event":
            self.user_spoke(open_kfid, user)
        self._seq += 1
        body = {
            "msgid": f"kfmsg{self._seq:08d}{secrets.token_hex(4)}",
            "open_kfid": open_kfid,
            "external_userid": user,
            "send_time": int(self.clock.now().timestamp()),
            "origin": 4 if msg.get("msgtype") == "event" else 3,
            **msg,
        }
        if msg.get("msgtype") == "event":
            body["event"] = {"open_kfid": open_kfid, "external_userid": user, **msg["event"]}
        self.kf_log.setdefault(open_kfid, []).append(KfRecord(self._seq, self.clock.now(), body))
        token = "ENC" + secrets.token_urlsafe(24)
        self.callback_tokens[token] = self.clock.now() + CALLBACK_TOKEN_TTL
        return token

    def oa_user_spoke(self, appid: str, openid: str) -> None:
        self.user_spoke(appid, openid)

    # -- WeCom kf --------------------------------------------------------------------------
    def sync_msg(self, corpid: str, body: dict[str, Any]) -> dict[str, Any]:
        corp = self.corps[corpid]
        open_kfid = str(body.get("open_kfid", ""))
        if open_kfid not in corp.kf_accounts:
            raise Refused(codes.KF_INVALID_OPEN_KFID, "invalid open_kfid")
        token = body.get("token")
        now = self.clock.now()
        if token and self.callback_tokens.get(str(token), now) <= now:
            raise Refused(codes.KF_INVALID_MSG_TOKEN, "invalid msg token")
        limit = int(body.get("limit", 1000) or 1000)
        if not 1 <= limit <= 1000:
            raise Refused(44004, "invalid limit")
        after = _cursor_seq(str(body.get("cursor", "") or ""))
        kept = [
            r
            for r in self.kf_log.get(open_kfid, [])
            if r.seq > after and r.send_time > now - KF_RETENTION
        ]
        page = kept[:limit]
        last = page[-1].seq if page else after
        return {
            "errcode": 0,
            "errmsg": "ok",
            "next_cursor": _cursor(last),
            "has_more": 1 if len(kept) > limit else 0,
            "msg_list": [r.body for r in page],
        }

    def _within_window(self, window: Window, late: int, many: int) -> None:
        now = self.clock.now()
        if window.last_user_at is None or now - window.last_user_at > REPLY_WINDOW:
            raise Refused(late, "response out of time limit or subscription is canceled")
        if window.sent >= WINDOW_MESSAGES:
            raise Refused(many, "out of response count limit")

    def kf_send(self, corpid: str, body: dict[str, Any]) -> str:
        corp = self.corps[corpid]
        open_kfid = str(body.get("open_kfid", ""))
        user = str(body.get("touser", ""))
        if open_kfid not in corp.kf_accounts:
            raise Refused(codes.KF_INVALID_OPEN_KFID, "invalid open_kfid")
        if body.get("msgtype") not in ("text", "image", "voice", "file", "link", "msgmenu"):
            raise Refused(40008, "invalid message type")
        window = self._window(open_kfid, user)
        if window.state not in (0, 1):
            raise Refused(codes.KF_STATE_FORBIDS_SEND, "session state forbids api send")
        self._within_window(window, codes.KF_OUT_OF_WINDOW, codes.KF_SEND_LIMIT)
        window.sent += 1
        return self._deliver("kf", open_kfid, user, body)

    def kf_state(self, corpid: str, open_kfid: str, user: str) -> int:
        if open_kfid not in self.corps[corpid].kf_accounts:
            raise Refused(codes.KF_INVALID_OPEN_KFID, "invalid open_kfid")
        return self._window(open_kfid, user).state

    def kf_trans(self, corpid: str, open_kfid: str, user: str, state: int) -> str:
        current = self.kf_state(corpid, open_kfid, user)
        if state not in KF_TRANSITIONS.get(current, set()):
            raise Refused(
                codes.KF_BAD_STATE_CHANGE, f"invalid service state change {current}->{state}"
            )
        self._window(open_kfid, user).state = state
        if state != 4:
            return ""
        code = "MSGCODE" + secrets.token_urlsafe(16)
        self.msg_codes[code] = (open_kfid, user, self.clock.now() + MSG_CODE_TTL)
        return code

    def kf_send_on_event(self, body: dict[str, Any]) -> str:
        found = self.msg_codes.pop(str(body.get("code", "")), None)
        if found is None or found[2] <= self.clock.now():
            raise Refused(95014, "invalid msg code")  # 95014: code invalid or expired
        if body.get("msgtype") not in ("text", "msgmenu"):
            raise Refused(40008, "invalid message type")
        return self._deliver("kf", found[0], found[1], body)

    # -- Official Account ------------------------------------------------------------------
    def custom_send(self, appid: str, body: dict[str, Any]) -> str:
        user = str(body.get("touser", ""))
        if body.get("msgtype") not in ("text", "image", "voice", "news", "msgmenu", "link"):
            raise Refused(40008, "invalid message type")
        window = self._window(appid, user)
        self._within_window(window, codes.OUT_OF_WINDOW, codes.TOO_MANY_MESSAGES)
        window.sent += 1
        return self._deliver("oa", appid, user, body)

    def _deliver(self, kind: str, account: str, user: str, body: dict[str, Any]) -> str:
        self.delivered.append(Delivered(self.clock.now(), kind, account, user, body))
        return f"out{len(self.delivered):08d}"

    def inbox(self, account: str, user: str) -> list[Delivered]:
        return [d for d in self.delivered if d.account == account and d.user == user]


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"c{seq}".encode()).decode().rstrip("=")


def _cursor_seq(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(raw[1:]) if raw.startswith("c") else 0
    except (ValueError, UnicodeDecodeError):
        raise Refused(40058, "invalid cursor") from None
