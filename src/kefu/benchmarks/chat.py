"""`kefu bench chat`: live-chat delivery latency and throughput against a real server
(subprocess, SQLite, every message persisted), compared with a plain `websockets`
echo server driven by the same client load in the same run."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

LOCK_HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""
# a report-sized read: ~1-2 s of SQLite work in one statement
SLOW_QUERY = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
    "SELECT count(*), sum(x % 7) FROM c"
)

ECHO_SERVER = """
import asyncio, sys, websockets
async def echo(ws):
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1]), max_queue=None):
        await asyncio.Future()
asyncio.run(main())
"""


@dataclass
class Pair:
    conv: str
    customer: Any = None
    agent: Any = None


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    delivered: int = 0


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(url: str, data_dir: str, n: int) -> tuple[list[tuple[str, str]], str]:
    """n conversations, each with its own customer, all assigned to one bench agent.
    `data_dir` is the server's: the customer tokens are signed with its secret key."""
    from kefu.actions import assignment, commerce
    from kefu.actions import conversations as conv_actions
    from kefu.actions.agents import create_agent
    from kefu.actions.auth import do_sign_in, issue_customer_token, tenant_by_slug
    from kefu.actions.context import Actor, ActorKind, Kefu, Role
    from kefu.clock import SystemClock
    from kefu.realtime.broker import InProcessBroker
    from kefu.settings import Settings
    from kefu.storage.database import Database

    settings = Settings(
        database_url=url, data_dir=Path(data_dir), argon2_time_cost=1, argon2_memory_kib=1024
    )
    db = Database(url)
    kefu = Kefu(settings, db, InProcessBroker(), SystemClock())
    tenant = await tenant_by_slug(kefu, "demo")
    agent = await create_agent(
        kefu,
        tenant.id,
        email="bench@demo.kefu.local",
        password="bench-password-1",
        agent_no="KF9999",
        display_name="压测",
        role=Role.SUPERVISOR,
        capacity=10**6,
    )
    staff = Actor(ActorKind.STAFF, tenant.id, agent_id=agent.id, role=Role.SUPERVISOR)
    machine = Actor(ActorKind.MACHINE, tenant.id)
    gate = asyncio.Semaphore(32)  # concurrent seeding: group commit batches the writes

    async def one(i: int) -> tuple[str, str]:
        async with gate:
            c = await commerce.do_upsert_customer(
                kefu, machine, commerce.CustomerUpsert(external_id=f"bench{i}")
            )
            cust = Actor(ActorKind.CUSTOMER, tenant.id, customer_id=c.id)
            conv = await conv_actions.do_create_conversation(
                kefu, cust, conv_actions.NewConversation(body="压测开始", start_with_bot=False)
            )
            await assignment.do_assign_conversation(
                kefu, staff, conv.public_id, agent.id, force=True
            )
            return conv.public_id, issue_customer_token(kefu, tenant.id, c.id, hours=4)

    out = list(await asyncio.gather(*(one(i) for i in range(n))))
    signed = await do_sign_in(kefu, "bench@demo.kefu.local", "bench-password-1", "127.0.0.1")
    await db.dispose()
    return out, signed.cookie_value


async def connect(url: str, hello: dict[str, Any], headers: dict[str, str]) -> Any:
    ws = await websockets.connect(url, additional_headers=headers, max_queue=None)
    await ws.send(json.dumps(hello))
    json.loads(await ws.recv())
    return ws


async def kefu_load(
    url: str,
    base: str,
    convs: list[tuple[str, str]],
    cookie: str,
    rate: float,
    duration: float,
    saturate: float,
    server_pid: int,
) -> dict[str, Any]:
    sem = asyncio.Semaphore(100)
    pairs = [Pair(conv) for conv, _ in convs]

    async def open_pair(p: Pair, token: str) -> None:
        async with sem:
            p.customer = await connect(url, {"type": "hello", "token": token}, {})
            p.agent = await connect(
                url, {"type": "hello"}, {"Cookie": f"kefu_session={cookie}", "Origin": base}
            )
            for ws in (p.customer, p.agent):
                await ws.send(
                    json.dumps({"type": "subscribe", "conversation_id": p.conv, "after_seq": 10**6})
                )

    await asyncio.gather(*(open_pair(p, t) for p, (_, t) in zip(pairs, convs, strict=True)))
    sent: dict[str, float] = {}
    stats = Stats()
    waiters: dict[str, asyncio.Future[None]] = {}

    async def agent_reader(p: Pair) -> None:
        async for raw in p.agent:
            frame = json.loads(raw)
            if frame["type"] == "ping":
                await p.agent.send('{"type":"pong"}')
            elif frame["type"] == "event":
                cid = frame["event"].get("client_msg_id")
                t0 = sent.pop(cid, None) if cid else None
                if t0 is not None:
                    stats.latencies.append(time.perf_counter() - t0)
                    stats.delivered += 1
                    w = waiters.pop(cid, None)
                    if w and not w.done():
                        w.set_result(None)

    async def customer_reader(p: Pair) -> None:
        async for raw in p.customer:
            if '"ping"' in raw:
                await p.customer.send('{"type":"pong"}')

    readers = [asyncio.create_task(agent_reader(p)) for p in pairs]
    readers += [asyncio.create_task(customer_reader(p)) for p in pairs]
    counter = 0

    async def send(p: Pair) -> str:
        nonlocal counter
        counter += 1
        cid = f"b{counter}"
        sent[cid] = time.perf_counter()
        await p.customer.send(
            json.dumps(
                {
                    "type": "send",
                    "conversation_id": p.conv,
                    "client_msg_id": cid,
                    "body": "充值没到账",
                }
            )
        )
        return cid

    # paced phase
    start = time.perf_counter()
    i = 0
    while (now := time.perf_counter()) - start < duration:
        due = int((now - start) * rate)
        while i < due:
            await send(pairs[i % len(pairs)])
            i += 1
        await asyncio.sleep(0.002)
    await asyncio.sleep(2)
    paced = sorted(stats.latencies)
    paced_sent = i
    # saturating phase: one message in flight per conversation
    stats.latencies.clear()
    stats.delivered = 0
    stop = time.perf_counter() + saturate

    async def loop(p: Pair) -> None:
        while time.perf_counter() < stop:
            cid = await send(p)
            fut = asyncio.get_running_loop().create_future()
            waiters[cid] = fut
            try:
                await asyncio.wait_for(fut, 30)
            except TimeoutError:
                return

    t0, cpu0 = time.perf_counter(), proc_cpu_seconds(server_pid)
    await asyncio.gather(*(loop(p) for p in pairs))
    sat_rate = stats.delivered / (time.perf_counter() - t0)
    sat_cpu = proc_cpu_seconds(server_pid) - cpu0
    for r in readers:
        r.cancel()
    for p in pairs:
        await p.customer.close()
        await p.agent.close()
    return {
        "paced": paced,
        "paced_sent": paced_sent,
        "saturated_rate": sat_rate,
        # the server's CPU per delivered message while saturated: the figure that the
        # machine's other load disturbs least
        "saturated_cpu_ms": 1000 * sat_cpu / max(stats.delivered, 1),
    }


async def echo_load(url: str, n: int, saturate: float) -> float:
    sem = asyncio.Semaphore(100)

    async def open_one() -> Any:
        async with sem:
            return await websockets.connect(url, max_queue=None)

    conns = await asyncio.gather(*(open_one() for _ in range(n)))
    done = 0
    stop = time.perf_counter() + saturate
    msg = json.dumps(
        {"type": "send", "conversation_id": "x", "client_msg_id": "b1", "body": "充值没到账"}
    )

    async def loop(ws: Any) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await ws.send(msg)
            await ws.recv()
            done += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in conns))
    rate = done / (time.perf_counter() - t0)
    for c in conns:
        await c.close()
    return rate


async def loop_probe(stop: asyncio.Event, tick: float = 0.005) -> float:
    """The longest time the event loop went without running this coroutine, beyond the
    tick it asked for: what every socket of the process would have waited."""
    worst = 0.0
    while not stop.is_set():
        t0 = time.perf_counter()
        await asyncio.sleep(tick)
        worst = max(worst, time.perf_counter() - t0 - tick)
    return worst


async def stall_scenarios(db_url: str, lock_seconds: float) -> dict[str, float]:
    """In one process with the server's storage and actions: the loop's longest stall
    (a) idle, the same-run baseline, (b) while another process holds the SQLite write
    lock for `lock_seconds` and this process keeps posting, (c) while a slow report
    query runs and this process keeps posting."""
    from sqlalchemy import text

    from kefu.actions import commerce
    from kefu.actions import conversations as conv_actions
    from kefu.actions.auth import tenant_by_slug
    from kefu.actions.context import Actor, ActorKind, Kefu
    from kefu.clock import SystemClock
    from kefu.realtime.broker import InProcessBroker
    from kefu.settings import Settings
    from kefu.storage.database import Database

    settings = Settings(database_url=db_url)
    db = Database(db_url, sqlite_synchronous=settings.sqlite_synchronous)
    kefu = Kefu(settings, db, InProcessBroker(), SystemClock())
    tenant = await tenant_by_slug(kefu, "demo")
    machine = Actor(ActorKind.MACHINE, tenant.id)
    c = await commerce.do_upsert_customer(
        kefu, machine, commerce.CustomerUpsert(external_id="stall-probe")
    )
    cust = Actor(ActorKind.CUSTOMER, tenant.id, customer_id=c.id)
    conv = await conv_actions.do_create_conversation(
        kefu, cust, conv_actions.NewConversation(body="探测", start_with_bot=False)
    )
    counter = 0

    async def keep_posting(stop: asyncio.Event) -> None:
        nonlocal counter
        while not stop.is_set():
            counter += 1
            await conv_actions.do_post_message(kefu, cust, conv.public_id, f"探测 {counter}")
            await asyncio.sleep(0.01)

    async def probe_while(work: Any) -> float:
        stop = asyncio.Event()
        probe = asyncio.create_task(loop_probe(stop))
        poster = asyncio.create_task(keep_posting(stop))
        await asyncio.sleep(0.1)
        await work()
        stop.set()
        await poster
        return await probe

    async def idle() -> None:
        await asyncio.sleep(lock_seconds)

    async def other_process_holds_lock() -> None:
        path = db_url.removeprefix("sqlite:///")
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            LOCK_HOLDER,
            path,
            str(lock_seconds),
            stdout=asyncio.subprocess.PIPE,
        )
        assert holder.stdout is not None
        await holder.stdout.readline()  # "locked"
        await holder.wait()
        await asyncio.sleep(0.3)  # the posts that waited go through

    async def slow_report() -> None:
        async with kefu.db.read() as session:
            await session.execute(text(SLOW_QUERY))

    result = {
        "idle": await probe_while(idle),
        "lock": await probe_while(other_process_holds_lock),
        "report": await probe_while(slow_report),
    }
    result["posts"] = counter
    await kefu.db.dispose()
    return result


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, and kill what does not stop in time (without hiding the error that
    brought us here)."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def wait_http(base: str) -> None:
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="kefu bench chat")
    ap.add_argument("--conversations", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200.0, help="messages/s, paced phase")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--saturate", type=float, default=10.0, help="seconds of saturating load")
    ap.add_argument("--lock-seconds", type=float, default=1.5, help="write lock held elsewhere")
    args = ap.parse_args(argv)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        env = {
            **os.environ,
            "KEFU_DATABASE_URL": db_url,
            "KEFU_RUN_SCHEDULER": "false",
            "KEFU_LOG_LEVEL": "WARNING",
            "KEFU_DATA_DIR": f"{tmp}/var",
            # the trained bot model outlives the run (training it again at every start
            # takes a minute on a busy machine, before /healthz answers)
            "KEFU_NLU_CACHE_DIR": os.environ.get(
                "KEFU_NLU_CACHE_DIR", str(Path(tempfile.gettempdir()) / "kefu-bench-nlu-cache")
            ),
            "KEFU_WS_RATE_BURST": "1000",
            "KEFU_WS_RATE_PER_SECOND": "1000",
        }
        py = sys.executable
        for cmd in ("migrate", "demo"):
            subprocess.run(
                [py, "-m", "kefu.cli", cmd], env=env, check=True, stdout=subprocess.DEVNULL
            )
        print(f"seeding {args.conversations} conversations ...", flush=True)
        convs, cookie = asyncio.run(seed(db_url, env["KEFU_DATA_DIR"], args.conversations))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [py, "-m", "kefu.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_http(base)
            cpu0, w0 = proc_cpu_seconds(server.pid), time.perf_counter()
            result = asyncio.run(
                kefu_load(
                    base.replace("http", "ws") + "/ws",
                    base,
                    convs,
                    cookie,
                    args.rate,
                    args.duration,
                    args.saturate,
                    server.pid,
                )
            )
            cpu = proc_cpu_seconds(server.pid) - cpu0
            wall = time.perf_counter() - w0
            rss = proc_peak_rss_mb(server.pid)
        finally:
            stop_process(server)
        stalls = asyncio.run(stall_scenarios(db_url, args.lock_seconds))
        eport = free_port()
        echo = subprocess.Popen([py, "-c", ECHO_SERVER, str(eport)])
        try:
            time.sleep(1.0)
            echo_rate = asyncio.run(
                echo_load(f"ws://127.0.0.1:{eport}", args.conversations, args.saturate)
            )
        finally:
            stop_process(echo)
    paced = result["paced"]
    load_after = os.getloadavg()
    print(
        f"machine load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"kefu chat: {args.conversations} conversations ({2 * args.conversations} sockets), "
        f"SQLite, every message persisted"
    )
    print(
        f"  paced {args.rate:.0f} msg/s for {args.duration:.0f} s: sent {result['paced_sent']}, "
        f"delivered {len(paced)}"
    )
    print(
        f"  customer->agent latency ms: p50 {pct(paced, 0.5):.1f}  p95 {pct(paced, 0.95):.1f}  "
        f"p99 {pct(paced, 0.99):.1f}  max {pct(paced, 1):.1f}"
    )
    print(
        f"  saturated throughput: {result['saturated_rate']:.0f} msg/s delivered, "
        f"server CPU {result['saturated_cpu_ms']:.2f} ms per message"
    )
    print(
        f"  server CPU {cpu:.1f} s over {wall:.0f} s ({100 * cpu / wall:.0f}% of one core), "
        f"peak RSS {rss:.0f} MB"
    )
    print(
        f"  websockets echo baseline (same load): {echo_rate:.0f} msg/s; "
        f"ratio {result['saturated_rate'] / echo_rate:.1%}"
    )
    sync = os.environ.get("KEFU_SQLITE_SYNCHRONOUS", "NORMAL")
    print(
        f"  longest event-loop stall (posting meanwhile, synchronous={sync}): "
        f"idle {stalls['idle'] * 1000:.1f} ms; "
        f"another process holds the write lock {args.lock_seconds:.1f} s: "
        f"{stalls['lock'] * 1000:.1f} ms; slow report query: {stalls['report'] * 1000:.1f} ms"
    )
    return 0
