"""Signed tokens (pure): the marketplace's identity tokens and kefu's own customer and
tracking tokens.

The format is JWT HS256 with a `kid` header (PyJWT), so a marketplace in PHP or Go signs
with its ordinary library, and keys rotate: a key ring holds the current key and the
previous ones, each named by its key id. The older kefu format
`base64url(json).base64url(hmac_sha256(secret, base64url(json)))` is still accepted for a
deprecation window (docs/identity.md), checked against every key of the ring.

`exp` must be a finite number of seconds; a ring may cap how far ahead it may lie."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from kefu.errors import Unauthorized

ALGORITHM = "HS256"
MAX_TOKEN_CHARS = 4096


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def key_id(secret: str) -> str:
    """A key's public name: a short hash, so configuration needs no separate ids."""
    return hashlib.sha256(b"kefu-kid:" + secret.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    """The key that signs (`current_kid`) and every key that still verifies."""

    current_kid: str
    keys: Mapping[str, str]

    @classmethod
    def of(cls, current: str, previous: Sequence[str] = ()) -> KeyRing:
        keys = {key_id(current): current}
        for secret in previous:
            if secret:
                keys.setdefault(key_id(secret), secret)
        return cls(current_kid=key_id(current), keys=keys)

    @property
    def current(self) -> str:
        return self.keys[self.current_kid]


def sign(payload: dict[str, Any], ring: KeyRing) -> str:
    """A JWT HS256 signed with the ring's current key, its id in the header."""
    return jwt.encode(payload, ring.current, algorithm=ALGORITHM, headers={"kid": ring.current_kid})


def sign_legacy(payload: dict[str, Any], secret: str) -> str:
    """The pre-JWT format (kept so tests and old marketplaces can produce it)."""
    body = b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    mac = hmac.new(secret.encode(), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{b64url(mac)}"


def _invalid(reason: str) -> Unauthorized:
    err = Unauthorized("身份令牌无效，请刷新页面重试", f"invalid token: {reason}")
    err.code = "invalid_token"
    return err


def verify(
    token: str, ring: KeyRing, now: datetime, *, max_ahead: timedelta | None = None
) -> dict[str, Any]:
    """Check the signature (constant time) and `exp`; return the payload."""
    if len(token) > MAX_TOKEN_CHARS:
        raise _invalid("format")
    dots = token.count(".")
    if dots == 2:
        payload = _verify_jwt(token, ring)
    elif dots == 1:
        payload = _verify_legacy(token, ring)
    else:
        raise _invalid("format")
    check_expiry(payload, now, max_ahead)
    return payload


def _verify_jwt(token: str, ring: KeyRing) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise _invalid("format") from None
    if header.get("alg") != ALGORITHM:
        raise _invalid("algorithm")
    kid = header.get("kid")
    if kid is None:
        candidates = list(ring.keys.values())
    elif isinstance(kid, str) and kid in ring.keys:
        candidates = [ring.keys[kid]]
    else:
        raise _invalid("unknown key id")
    for secret in candidates:
        try:
            payload = jwt.decode(
                token,
                secret,
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidSignatureError:
            continue
        except (jwt.InvalidTokenError, ValueError, OverflowError):
            raise _invalid("payload") from None
        if not isinstance(payload, dict):
            raise _invalid("payload")
        return payload
    raise _invalid("signature")


def _verify_legacy(token: str, ring: KeyRing) -> dict[str, Any]:
    body, mac_text = token.split(".")
    try:
        mac = b64url_decode(mac_text)
        body_bytes = body.encode("ascii")
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _invalid("format") from None
    matched = False
    for secret in ring.keys.values():
        expected = hmac.new(secret.encode(), body_bytes, hashlib.sha256).digest()
        matched = hmac.compare_digest(mac, expected) or matched
    if not matched:
        raise _invalid("signature")
    try:
        payload = json.loads(b64url_decode(body))
    except (binascii.Error, ValueError):
        raise _invalid("payload") from None
    if not isinstance(payload, dict):
        raise _invalid("payload")
    return payload


def check_expiry(payload: dict[str, Any], now: datetime, max_ahead: timedelta | None) -> None:
    """`exp` is a finite number, not past, and (when capped) not too far ahead."""
    exp = payload.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise _invalid("missing exp")
    if not math.isfinite(exp):
        raise _invalid("exp is not a finite number")
    if exp < now.timestamp():
        err = _invalid("expired")
        err.code = "token_expired"
        err.message_zh = "身份令牌已过期，请刷新页面"
        raise err
    if max_ahead is not None and exp > (now + max_ahead).timestamp():
        err = _invalid("exp too far ahead")
        err.code = "token_exp_too_far"
        err.message_zh = f"身份令牌有效期不能超过 {int(max_ahead.total_seconds() // 3600)} 小时"
        raise err


def expiry_of(payload: dict[str, Any]) -> float:
    """The checked `exp` of a verified payload, as a float timestamp."""
    return float(payload["exp"])
