"""Background work started with the app (SLA sweeps, job delivery). Stub until the
queues-and-SLA area fills it in."""

from __future__ import annotations

import asyncio

from kefu.actions.context import Kefu


def start_background(kefu: Kefu) -> list[asyncio.Task[None]]:
    return []
