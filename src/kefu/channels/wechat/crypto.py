"""WeChat callback security: the sha1 signature and 安全模式 (AES-CBC from EncodingAESKey).

Both the Official Account and WeCom sign ``sha1(sorted(token, timestamp, nonce[, encrypt]))``
(hex). Signatures are compared in constant time (wechatpy's own check is not). The AES
part is wechatpy's ``PrpCrypto`` on the ``cryptography`` backend: random 16 bytes, a
network-order length, the XML, then the receiver id (the OA's appid or the WeCom corp id),
PKCS#7 padded to 32 bytes, key = base64(EncodingAESKey + "="), IV = first 16 key bytes.

A key ring holds the current EncodingAESKey and the previous one: after the admin changes
the key in WeChat's console, messages still in flight under the old key decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import string
from dataclasses import dataclass

from wechatpy.crypto import PrpCrypto
from wechatpy.utils import WeChatSigner

AES_KEY_LENGTH = 43  # characters of an EncodingAESKey (base64 of 32 bytes without "=")


class CallbackRejected(Exception):
    """A callback whose signature, key or receiver id does not check out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def signature(token: str, timestamp: str, nonce: str, encrypt: str | None = None) -> str:
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, *([encrypt] if encrypt is not None else []))
    return str(signer.signature)


def signature_matches(expected: str, given: str | None) -> bool:
    return hmac.compare_digest(expected.encode(), (given or "").encode())


def check_plain_signature(token: str, timestamp: str, nonce: str, given: str | None) -> None:
    if not signature_matches(signature(token, timestamp, nonce), given):
        raise CallbackRejected("bad_signature")


def valid_aes_key(key: str) -> bool:
    if len(key) != AES_KEY_LENGTH:
        return False
    try:
        return len(base64.b64decode(key + "=", validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def new_aes_key() -> str:
    """A fresh EncodingAESKey, as WeChat's console generates one (43 base64 characters)."""
    return base64.b64encode(secrets.token_bytes(32)).decode()[:-1]


def new_callback_token() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(32))


def _cipher(key: str) -> PrpCrypto:
    return PrpCrypto(base64.b64decode(key + "="))


@dataclass(frozen=True)
class CallbackKeys:
    """What one WeChat callback endpoint is configured with."""

    token: str
    receiver_id: str  # appid (Official Account) or corp id (WeCom)
    aes_key: str | None = None
    previous_aes_key: str | None = None

    def check_signature(self, timestamp: str, nonce: str, given: str | None, encrypt: str) -> None:
        """msg_signature covers the ciphertext too (安全模式, WeCom always)."""
        if not signature_matches(signature(self.token, timestamp, nonce, encrypt), given):
            raise CallbackRejected("bad_signature")

    def decrypt(self, encrypt: str) -> str:
        """The plaintext XML (or echostr); the previous key is tried after the current."""
        for key in (self.aes_key, self.previous_aes_key):
            if not key:
                continue
            try:
                text = _cipher(key).decrypt(encrypt, self.receiver_id)
            except Exception:  # wrong key: garbage padding, bad length or another receiver
                continue
            return str(text)
        raise CallbackRejected("cannot_decrypt")

    def encrypt(self, plaintext: str) -> str:
        if not self.aes_key:
            raise CallbackRejected("no_aes_key")
        sealed: bytes = _cipher(self.aes_key).encrypt(plaintext, self.receiver_id)
        return sealed.decode()

    def open_envelope(self, timestamp: str, nonce: str, given: str | None, encrypt: str) -> str:
        self.check_signature(timestamp, nonce, given, encrypt)
        return self.decrypt(encrypt)

    def seal(self, plaintext: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """(Encrypt, MsgSignature) for an outgoing encrypted envelope."""
        encrypt = self.encrypt(plaintext)
        return encrypt, signature(self.token, timestamp, nonce, encrypt)
