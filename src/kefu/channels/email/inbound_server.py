"""An aiosmtpd handler: receive mail for kefu's addresses, hand raw bytes to a callback.

Run it with `make_inbound_controller(handler, host, port).start()`, or put it behind
a real MTA (Postfix) that relays the support addresses to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kefu.errors import KefuError

DEFAULT_MAX_MESSAGE_SIZE = 25 * 1024 * 1024


@dataclass(frozen=True)
class InboundDelivery:
    """One accepted message: the raw bytes (with a Return-Path line) and its envelope."""

    raw: bytes = field(repr=False)
    mail_from: str
    rcpt_tos: tuple[str, ...]
    peer: str


DeliverCallback = Callable[[InboundDelivery], Awaitable[None]]


def _normalise(address: str) -> str:
    address = address.strip().strip("<>").lower()
    local, at, domain = address.partition("@")
    local = local.split("+", 1)[0]  # support+anything@example.com -> support@example.com
    return f"{local}{at}{domain}"


class InboundMailHandler:
    """aiosmtpd handler. Unknown recipients get 550, oversized mail 552, a mail kefu
    refuses (KefuError) 554, other callback errors 451."""

    def __init__(
        self,
        addresses: Iterable[str],
        deliver: DeliverCallback,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        self.addresses = frozenset(_normalise(a) for a in addresses)
        self.deliver = deliver
        self.max_message_size = max_message_size

    def accepts(self, address: str) -> bool:
        return _normalise(address) in self.addresses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if not self.accepts(address):
            return "550 5.1.1 Recipient address rejected: unknown user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", errors="surrogateescape")
        if len(content) > self.max_message_size:
            return "552 5.3.4 Message too big"
        if not envelope.rcpt_tos:
            return "554 5.5.1 No valid recipients"
        mail_from = str(envelope.mail_from or "")
        # What a final-delivery MTA adds: keeps "MAIL FROM:<>" (bounces) visible to the parser.
        raw = f"Return-Path: <{mail_from}>\r\n".encode("utf-8", errors="replace") + content
        peer = session.peer
        delivery = InboundDelivery(
            raw=raw,
            mail_from=mail_from,
            rcpt_tos=tuple(str(r) for r in envelope.rcpt_tos),
            peer=str(peer[0]) if isinstance(peer, tuple) and peer else str(peer),
        )
        try:
            await self.deliver(delivery)
        except KefuError as exc:
            # a refusal of this mail, not a passing fault: a 451 would make the sender
            # retry it forever
            return f"554 5.6.0 Message refused: {exc.message_en}"[:200]
        except Exception:
            return "451 4.3.0 Temporary failure, please try again later"
        return "250 Message accepted for delivery"


def make_inbound_controller(
    handler: InboundMailHandler, hostname: str = "127.0.0.1", port: int = 8025
) -> Any:
    """An aiosmtpd Controller (own thread and loop) enforcing the handler's size limit."""
    from aiosmtpd.controller import Controller

    return Controller(
        handler, hostname=hostname, port=port, data_size_limit=handler.max_message_size
    )
