"""Secrets at rest: WeChat app secrets, callback tokens and EncodingAESKeys are stored
sealed (Fernet: AES-128-CBC + HMAC-SHA256 from ``cryptography``) under a key derived
from kefu's secret key with HKDF. Previous secret keys still open what they sealed, so
rotating ``KEFU_SECRET_KEY`` (with ``KEFU_PREVIOUS_SECRET_KEYS``) loses nothing."""

from __future__ import annotations

import base64
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "sealed:v1:"


class CannotOpen(Exception):
    pass


def _fernet(secret_key: str) -> Fernet:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"kefu wechat secrets")
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())))


class SecretBox:
    def __init__(self, secret_key: str, previous: Sequence[str] = ()) -> None:
        self._box = MultiFernet([_fernet(k) for k in (secret_key, *previous)])

    def seal(self, plaintext: str) -> str:
        return PREFIX + self._box.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        if not sealed.startswith(PREFIX):
            raise CannotOpen("not sealed")
        try:
            return self._box.decrypt(sealed[len(PREFIX) :].encode()).decode()
        except InvalidToken:
            raise CannotOpen("sealed under an unknown key") from None
