"""Outbox fixtures: the API world (SQLite + PostgreSQL) and, when a test asks for it,
SMTP pointed at a real local aiosmtpd (the help-center fixtures)."""

from __future__ import annotations

from tests.api.conftest import alice, customer, kefu_of, machine, other_world, world  # noqa: F401
from tests.helpcenter.conftest import client, smtp_server  # noqa: F401
