"""HMAC-SHA256 signed tokens (pure): the marketplace's identity tokens and kefu's own
customer tokens. Compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from kefu.errors import Unauthorized


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def sign(payload: dict[str, Any], secret: str) -> str:
    """`base64url(json).base64url(hmac_sha256(secret, base64url(json)))`."""
    body = b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    mac = hmac.new(secret.encode(), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{b64url(mac)}"


def _invalid(reason: str) -> Unauthorized:
    err = Unauthorized("身份令牌无效，请刷新页面重试", f"invalid token: {reason}")
    err.code = "invalid_token"
    return err


def verify(token: str, secret: str, now: datetime) -> dict[str, Any]:
    """Check signature (constant time) and expiry; return the payload."""
    if len(token) > 4096 or token.count(".") != 1:
        raise _invalid("format")
    body, mac_text = token.split(".")
    try:
        mac = b64url_decode(mac_text)
        expected = hmac.new(secret.encode(), body.encode("ascii"), hashlib.sha256).digest()
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _invalid("format") from None
    if not hmac.compare_digest(mac, expected):
        raise _invalid("signature")
    try:
        payload = json.loads(b64url_decode(body))
    except (binascii.Error, ValueError):
        raise _invalid("payload") from None
    if not isinstance(payload, dict):
        raise _invalid("payload")
    exp = payload.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise _invalid("missing exp")
    if exp < now.timestamp():
        err = _invalid("expired")
        err.code = "token_expired"
        err.message_zh = "身份令牌已过期，请刷新页面"
        raise err
    return payload
