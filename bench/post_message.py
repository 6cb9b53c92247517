"""The cost of storing one chat message (do_post_message with the subscribers), on
SQLite through the inline driver and through aiosqlite, in the same run.

    .venv/bin/python bench/post_message.py [--messages 300]
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
from kefu.storage.database import Database
from kefu.storage.migrate import upgrade
from kefu.subscribers import default_subscribers


async def measure(driver: str, messages: int) -> float:
    data = Path(tempfile.mkdtemp())
    url = f"sqlite:///{data / 'bench.db'}"
    upgrade(url)
    kefu = Kefu(
        make_settings(url, data, sqlite_driver=driver),
        Database(url, sqlite_driver=driver),
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
    start = time.perf_counter()
    for i in range(messages):
        await conv_actions.do_post_message(
            kefu, customer, conv.public_id, f"消息 {i}", client_msg_id=f"c{i}"
        )
    elapsed = time.perf_counter() - start
    await kefu.db.dispose()
    return elapsed / messages * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    inline = asyncio.run(measure("inline", args.messages))
    threaded = asyncio.run(measure("aiosqlite", args.messages))
    print(f"do_post_message, {args.messages} sequential posts, subscribers on")
    print(f"  inline driver : {inline:.2f} ms/message ({1000 / inline:.0f} msg/s)")
    print(f"  aiosqlite     : {threaded:.2f} ms/message ({1000 / threaded:.0f} msg/s)")
    print(f"  inline is {threaded / inline:.1f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
