"""Subscriber stub: reacts to committed timeline events (filled in by its area)."""

from __future__ import annotations

from kefu.actions.context import Kefu, TimelineFact


async def on_timeline(kefu: Kefu, facts: list[TimelineFact]) -> None:
    return None
