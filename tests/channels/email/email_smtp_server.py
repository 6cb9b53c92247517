"""A real local SMTP server for the email tests (aiosmtpd) and a free-port helper.

Named uniquely (not imported from conftest) so it cannot collide with other test dirs.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class CollectingHandler:
    """Accepts everything, or answers RCPT with `rcpt_reply` when it is set."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: CollectingHandler
