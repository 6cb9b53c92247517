"""Proof that a mail answers a ticket: a per-ticket reply address and signed Message-IDs.

Outgoing mail for a ticket has ``Reply-To: local+<token>@domain`` (token: a short HMAC of
the conversation's public id) and ``Message-ID: <kf.<public_id>.<nonce>.<sig>@domain>``.
Both are checked against every key of the ring (rotation keeps old mail answerable) with
``hmac.compare_digest``. Ticket numbers and unsigned message ids are guessable and prove
nothing. Pure: no database.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from email.utils import parseaddr

from kefu.domain.signed_tokens import KeyRing

TOKEN_CHARS = 16
SIG_CHARS = 12  # with a 6-hex nonce the header stays one line for most domains
_AUTH_FAIL_RE = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*fail\b", re.IGNORECASE)


def _mac(secret: str, purpose: str, value: str, size: int) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:size]


def reply_token(public_id: str, ring: KeyRing) -> str:
    return _mac(ring.current, "reply-to", public_id, TOKEN_CHARS)


def reply_token_valid(public_id: str, token: str, ring: KeyRing) -> bool:
    token = token.lower()
    return any(
        hmac.compare_digest(_mac(key, "reply-to", public_id, TOKEN_CHARS), token)
        for key in ring.keys.values()
    )


def reply_address(support_address: str, public_id: str, ring: KeyRing) -> str:
    """``local+<token>@domain`` of the tenant's support address (any +tag replaced)."""
    local, _, domain = parseaddr(support_address)[1].partition("@")
    return f"{local.partition('+')[0]}+{reply_token(public_id, ring)}@{domain}"


def reply_tokens(addresses: Iterable[str]) -> list[str]:
    """The ``+tag`` of each recipient address, as kefu's reply tokens would look."""
    found: list[str] = []
    for address in addresses:
        local = address.lower().partition("@")[0]
        tag = local.partition("+")[2]
        if len(tag) == TOKEN_CHARS and tag not in found:
            found.append(tag)
    return found


def signed_message_id(public_id: str, ring: KeyRing, domain: str) -> str:
    nonce = secrets.token_hex(3)
    sig = _mac(ring.current, "message-id", f"{public_id}.{nonce}", SIG_CHARS)
    return f"<kf.{public_id}.{nonce}.{sig}@{domain}>"


def signed_public_id(message_id: str, ring: KeyRing) -> str | None:
    """The public id a kefu-signed Message-ID was made for, or None when unsigned/forged."""
    local = message_id.strip("<> ").rpartition("@")[0]
    parts = local.split(".")
    if len(parts) != 4 or parts[0] != "kf" or not all(parts):
        return None
    _, public_id, nonce, rest = parts
    for key in ring.keys.values():
        if hmac.compare_digest(_mac(key, "message-id", f"{public_id}.{nonce}", SIG_CHARS), rest):
            return public_id
    return None


def auth_failures(results: Iterable[str]) -> list[str]:
    """``spf`` / ``dkim`` / ``dmarc`` when an Authentication-Results header says ``fail``."""
    found: list[str] = []
    for value in results:
        for match in _AUTH_FAIL_RE.finditer(value):
            method = match.group(1).lower()
            if method not in found:
                found.append(method)
    return found
