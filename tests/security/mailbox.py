"""A real aiosmtpd server for the security tests and readers for what it received."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller

from tests.helpcenter.conftest import smtp


@contextmanager
def running_smtp() -> Iterator[Any]:
    handler = smtp.CollectingHandler()
    port = smtp.free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield smtp.SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


def smtp_overrides(server: Any) -> dict[str, Any]:
    return {"smtp_host": server.host, "smtp_port": server.port, "mail_from": "kefu@kamen.example"}


def mails_to(server: Any, to: str) -> list[email.message.EmailMessage]:
    found = []
    for received in server.handler.received:
        if to in received.rcpt_tos:
            msg = email.message_from_bytes(received.content, policy=email.policy.default)
            assert isinstance(msg, email.message.EmailMessage)
            found.append(msg)
    return found


def text_of(msg: email.message.EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def reset_token_in(server: Any, to: str) -> str:
    """The token of the newest reset link mailed to `to`."""
    for msg in reversed(mails_to(server, to)):
        found = re.search(r"/console/reset\?token=(\S+)", text_of(msg))
        if found:
            return found.group(1)
    raise AssertionError(f"no reset link was mailed to {to}")
