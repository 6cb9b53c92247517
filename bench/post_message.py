"""The cost of storing one chat message (do_post_message with the subscribers) on
SQLite, sequentially and with `--concurrency` posters at once, with group commit and
without it (max_batch=1), and with synchronous=NORMAL and FULL, in the same run.

    .venv/bin/python bench/post_message.py [--messages 300] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import make_settings
from tests.world import build_world

from kefu.actions import assignment
from kefu.actions import conversations as conv_actions
from kefu.actions.context import Actor, ActorKind, Kefu, Role
from kefu.clock import SystemClock
from kefu.realtime.broker import InProcessBroker
from kefu.storage.database import Database, SqliteSynchronous
from kefu.storage.migrate import upgrade
from kefu.subscribers import default_subscribers


async def measure(
    messages: int, concurrency: int, *, group: bool, synchronous: SqliteSynchronous
) -> tuple[float, float]:
    """Wall and CPU (all threads of the process) milliseconds per message."""
    data = Path(tempfile.mkdtemp())
    url = f"sqlite:///{data / 'bench.db'}"
    upgrade(url)
    kefu = Kefu(
        make_settings(url, data, sqlite_synchronous=synchronous),
        Database(url, sqlite_synchronous=synchronous, group_commit=group),
        InProcessBroker(),
        SystemClock(),
        subscribers=default_subscribers(),
    )
    world = await build_world(kefu)
    customer = Actor(ActorKind.CUSTOMER, world.tenant_id, customer_id=world.customers["m1"])
    agent = Actor(ActorKind.STAFF, world.tenant_id, agent_id=world.agents["alice"], role=Role.AGENT)
    conv = await conv_actions.do_create_conversation(
        kefu, customer, conv_actions.NewConversation(body="你好", start_with_bot=False)
    )
    await assignment.do_assign_conversation(kefu, agent, conv.public_id, world.agents["alice"])
    for i in range(20):  # warm up
        await conv_actions.do_post_message(kefu, customer, conv.public_id, f"w{i}")
    boss = Actor(
        ActorKind.STAFF, world.tenant_id, agent_id=world.agents["alice"], role=Role.SUPERVISOR
    )
    convs = [conv.public_id]
    for _ in range(concurrency - 1):
        other = await conv_actions.do_create_conversation(
            kefu, customer, conv_actions.NewConversation(body="你好", start_with_bot=False)
        )
        await assignment.do_assign_conversation(
            kefu, boss, other.public_id, world.agents["alice"], force=True
        )
        convs.append(other.public_id)
    start, cpu_start = time.perf_counter(), time.process_time()

    async def poster(k: int) -> None:
        for i in range(k, messages, concurrency):
            await conv_actions.do_post_message(
                kefu, customer, convs[k], f"消息 {i}", client_msg_id=f"c{i}"
            )

    await asyncio.gather(*(poster(k) for k in range(concurrency)))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    await kefu.db.dispose()
    return elapsed / messages * 1000, cpu / messages * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    n, c = args.messages, args.concurrency
    print(f"do_post_message, {n} posts, subscribers on, SQLite (aiosqlite)")
    for label, conc, group, sync in (
        ("sequential, NORMAL       ", 1, True, "NORMAL"),
        (f"{c:>3} at once, NORMAL, no group", c, False, "NORMAL"),
        (f"{c:>3} at once, NORMAL, group   ", c, True, "NORMAL"),
        (f"{c:>3} at once, FULL,   no group", c, False, "FULL"),
        (f"{c:>3} at once, FULL,   group   ", c, True, "FULL"),
    ):
        ms, cpu = asyncio.run(measure(n, conc, group=group, synchronous=sync))  # type: ignore[arg-type]
        print(f"  {label}: {ms:.2f} ms/message ({1000 / ms:.0f} msg/s), CPU {cpu:.2f} ms/message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
