"""Secrets at rest: adapter credentials in tenant settings and card codes on orders.

``SecretBox`` seals text with AES-256-GCM (``cryptography``). The key is derived with
HKDF-SHA256 from the server secret (``KEFU_SECRET_KEY``, by default ``var/secret_key``);
previous server secrets (``KEFU_PREVIOUS_SECRET_KEYS``) still open what they sealed, so
rotating the server secret loses nothing. Each sealed value names where it belongs
(``purpose``, authenticated as associated data): a ciphertext copied from one tenant's
settings into another's, or from one order to another, does not open.

Format: ``sealed:v1:<kid>:<base64url(nonce ‖ ciphertext ‖ tag)>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kefu.errors import KefuError

PREFIX = "sealed:v1:"
_INFO = b"kefu sealed secrets v1"


class SecretUnreadable(KefuError):
    """Sealed with a key this server no longer has, or tampered with."""

    status_code = 500

    def __init__(self) -> None:
        super().__init__(
            "secret_unreadable",
            "无法解密已保存的密钥（服务器密钥已更换？请重新填写）",
            "a stored secret cannot be decrypted (server secret changed?); enter it again",
        )


def is_sealed(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX)


def _kid(secret: str) -> str:
    return hashlib.sha256(b"kefu-seal-kid:" + secret.encode()).hexdigest()[:8]


def _key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kefu", info=_INFO)
    return hkdf.derive(secret.encode())


@dataclass(frozen=True)
class SecretBox:
    current_kid: str
    keys: dict[str, AESGCM]

    @classmethod
    def of(cls, current: str, previous: Sequence[str] = ()) -> SecretBox:
        keys = {_kid(current): AESGCM(_key(current))}
        for secret in previous:
            if secret:
                keys.setdefault(_kid(secret), AESGCM(_key(secret)))
        return cls(current_kid=_kid(current), keys=keys)

    def seal(self, plain: str, purpose: str) -> str:
        nonce = os.urandom(12)
        sealed = self.keys[self.current_kid].encrypt(nonce, plain.encode(), purpose.encode())
        token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}{self.current_kid}:{token}"

    def open(self, sealed: str, purpose: str) -> str:
        if not is_sealed(sealed):
            raise SecretUnreadable()
        kid, _, token = sealed[len(PREFIX) :].partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise SecretUnreadable()
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return key.decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise SecretUnreadable() from None

    def seal_if_plain(self, value: str, purpose: str) -> str:
        """Settings writes: a value already sealed (sent back unchanged) stays as it is."""
        return value if not value or is_sealed(value) else self.seal(value, purpose)
