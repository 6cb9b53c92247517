"""Median latency of a customer message that the bot answers (do_post_message returns
after the bot's turn is stored: inline subscribers before the outbox, the fast path
after it), on SQLite with the shipped NLU engine. One fresh conversation per sample.

    PYTHONPATH=src .venv/bin/python bench/bot_latency.py [--samples 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from tests.conftest import make_settings
from tests.world import build_world

from kefu.actions import conversations as conv_actions
from kefu.actions.context import Actor, ActorKind, Kefu
from kefu.clock import SystemClock
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database
from kefu.storage.migrate import upgrade
from kefu.storage.models import Event
from kefu.subscribers import default_subscribers

QUESTIONS = ("我的充值没到账", "卡密无效怎么办", "怎么申请退款", "订单什么时候发货")


async def measure(samples: int) -> tuple[list[float], int]:
    data = Path(tempfile.mkdtemp())
    url = f"sqlite:///{data / 'bench.db'}"
    upgrade(url)
    kefu = Kefu(
        make_settings(url, data),
        Database(url),
        InProcessBroker(),
        SystemClock(),
        subscribers=default_subscribers(),
    )
    world = await build_world(kefu)
    customer = Actor(ActorKind.CUSTOMER, world.tenant_id, customer_id=world.customers["m1"])
    timings: list[float] = []
    for i in range(samples + 10):
        conv = await conv_actions.do_create_conversation(
            kefu, customer, conv_actions.NewConversation()
        )
        start = time.perf_counter()
        await conv_actions.do_post_message(
            kefu, customer, conv.public_id, QUESTIONS[i % len(QUESTIONS)]
        )
        if i >= 10:  # the first ones warm the engine and caches
            timings.append((time.perf_counter() - start) * 1000)
    async with kefu.db.read() as session:
        answered = (
            await session.execute(select(func.count(Event.id)).where(Event.type == "bot_turn"))
        ).scalar_one()
    await kefu.db.dispose()
    return timings, int(answered)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    timings, answered = asyncio.run(measure(args.samples))
    q = statistics.quantiles(timings, n=100)
    print(f"customer message answered by the bot, {len(timings)} samples, {answered} bot turns")
    print(f"  median {statistics.median(timings):.1f} ms, p90 {q[89]:.1f} ms, p99 {q[98]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
