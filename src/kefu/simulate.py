"""`kefu simulate`: replay a day of inquiries against the real server code.

    kefu simulate seeds                      # 5,000 inquiries, 3 agents
    kefu simulate seeds --agents auto --target "wait_p90<=600"
    kefu simulate day --inquiries 800 --agents 4

Design (docs/routing.md, "Simulation"): a discrete-event simulation in *simulated*
time. It drives the real actions layer — a `Kefu` with a FakeClock on a temporary
SQLite database, the real subscribers (the bot answers, queueing assigns, SLA
tracking stores deadlines), the real SLA sweeper every simulated minute. Customers
write a real sentence of their intent from the independent held-out set
(`nlu/data/eval/dev_independent.jsonl`, written by people who never saw the training
corpus); the bot answers or hands off; a customer the bot answered either accepts or
presses 转人工. The acceptance rate is measured: the scripted whole conversations
(`nlu/data/eval/dialogues.jsonl`) are played against a real server first, and the share
of conversations the bot kept to the end (an accepted answer, not 转人工 / "did not
help") among those it did not hand over at once is the acceptance (`--accept` overrides
it, and is then reported as assumed). Agents reply after 20–60 s and resolve after a
log-normal handling time; a customer still waiting after their patience leaves
(abandonment). Every input is printed with where it came from (measured / assumed).

`--agents auto` searches the smallest staffing that meets `--target` with a fast
twin of the same day (same arrivals, same bot outcomes as measured in the real run,
same handling times and patience; pure Python, FIFO-by-priority slots), then
confirms the answer with a real run.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import math
import random
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PRESETS: dict[str, dict[str, Any]] = {"seeds": {"inquiries": 5000, "agents": 3}}
#: Share of a day's inquiries per hour (Asia/Shanghai); 卡盟 peak late in the evening.
HOUR_WEIGHTS = [
    1.5, 1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4.0, 5.0, 5.5,
    5.0, 4.5, 5.0, 5.5, 5.5, 5.0, 5.5, 6.5, 8.0, 8.5, 7.5, 4.5,
]  # fmt: skip
INTENT_MIX = {
    "recharge_not_received": 0.28, "order_status": 0.14, "card_invalid": 0.08,
    "refund": 0.09, "payment_failed": 0.05, "account_security": 0.04,
    "channel_verify": 0.04, "membership": 0.08, "human_agent": 0.06,
    "withdrawal": 0.03, "complaint": 0.04, "other": 0.07,
}  # fmt: skip
HANDLING_MEDIAN_MIN = {"refund": 12.0, "complaint": 15.0, "account_security": 14.0}
DAY0 = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
#: Simulated agent consoles answer a heartbeat every simulated minute (the tick).
CONSOLE_HEARTBEAT_S = 60.0  # 2026-11-25 00:00 in Shanghai


@dataclass
class Config:
    inquiries: int = 5000
    agents: int = 3
    capacity: int = 3
    accept: float = 0.6
    patience_min: float = 15.0
    handling_min: float = 8.0
    seed: int = 7


@dataclass
class Inquiry:
    n: int
    at: float  # seconds since DAY0
    intent: str
    text: str
    patience: float
    handling: float
    reply_after: float
    accepts_bot: bool
    tier: str
    # outcomes
    contained: bool | None = None
    queued: float | None = None
    assigned: float | None = None
    replied: float | None = None
    resolved: float | None = None
    abandoned: bool = False


EVAL_DIR = Path(__file__).parent / "nlu" / "data" / "eval"
INDEPENDENT_DEV = EVAL_DIR / "dev_independent.jsonl"
DIALOGUES = EVAL_DIR / "dialogues.jsonl"
TRAIN_STYLE_DEV = Path(__file__).parent / "nlu" / "data" / "dev.jsonl"


def phrase_source() -> Path:
    return INDEPENDENT_DEV if INDEPENDENT_DEV.is_file() else TRAIN_STYLE_DEV


def measure_acceptance(path: Path) -> tuple[float, str]:
    """Acceptance of bot answers, from whole conversations played on a real server."""
    from kefu.dialogue_eval import load_dialogues, run_dialogues

    summary, results = run_dialogues(load_dialogues(path))
    answered = [r for r in results if r.turns and r.turns[0].status == "bot"]
    kept = [r for r in answered if r.turns[-1].status == "bot"]
    share = len(kept) / len(answered) if answered else 0.0
    note = (
        f"measured: {len(kept)} of {len(answered)} conversations the bot answered stayed "
        f"with it to the end ({path.name}; {summary['dialogues']} played, "
        f"{summary['passed']} passed, {summary['trapped']} trapped)"
    )
    return share, note


def make_day(cfg: Config) -> list[Inquiry]:
    rng = random.Random(cfg.seed)
    phrases: dict[str, list[str]] = {}
    data = phrase_source()
    for line in data.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        phrases.setdefault(row["intent"], []).append(row["text"])
    intents = [i for i in INTENT_MIX if phrases.get(i)]
    weights = [INTENT_MIX[i] for i in intents]
    total = sum(HOUR_WEIGHTS)
    day: list[Inquiry] = []
    for n in range(cfg.inquiries):
        hour = rng.choices(range(24), HOUR_WEIGHTS)[0] if total else 0
        intent = rng.choices(intents, weights)[0]
        median = HANDLING_MEDIAN_MIN.get(intent, cfg.handling_min)
        day.append(
            Inquiry(
                n=n,
                at=hour * 3600 + rng.random() * 3600,
                intent=intent,
                text=rng.choice(phrases[intent]),
                patience=rng.expovariate(1 / (cfg.patience_min * 60)),
                handling=60 * median * math.exp(rng.gauss(0, 0.5)),
                reply_after=rng.uniform(20, 60),
                accepts_bot=rng.random() < cfg.accept,
                tier=rng.choices(["normal", "silver", "gold", "diamond"], [80, 12, 6, 2])[0],
            )
        )
    day.sort(key=lambda i: i.at)
    for index, inq in enumerate(day):
        inq.n = index
    return day


# -- the real run ---------------------------------------------------------------------


@dataclass
class Report:
    agents: int
    inquiries: int
    contained: int = 0
    human: int = 0
    abandoned: int = 0
    waits: list[float] = field(default_factory=list)
    first_response_met: int = 0
    busy_slot_seconds: float = 0.0
    sla_breaches: int | None = None
    wall_seconds: float = 0.0
    mode: str = "real"

    def pct(self, q: float) -> float | None:
        if not self.waits:
            return None
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def metrics(self) -> dict[str, float]:
        return {
            "wait_p50": self.pct(0.5) or 0.0,
            "wait_p90": self.pct(0.9) or 0.0,
            "sla": self.first_response_met / self.human if self.human else 1.0,
            "abandon": self.abandoned / self.human if self.human else 0.0,
            "containment": self.contained / self.inquiries if self.inquiries else 0.0,
        }

    def render(self, capacity: int) -> str:
        m = self.metrics()
        util = self.busy_slot_seconds / (self.agents * capacity * 86400) if self.agents else 0
        lines = [
            f"[{self.mode}] {self.inquiries} inquiries, {self.agents} agents x {capacity} chats",
            f"  bot containment        {m['containment']:6.1%} ({self.contained})",
            f"  to a human             {self.human}",
            f"  human wait p50 / p90   {m['wait_p50'] / 60:6.1f} / {m['wait_p90'] / 60:.1f} min",
            f"  first response <=10min {m['sla']:6.1%}",
            f"  abandoned in queue     {m['abandon']:6.1%} ({self.abandoned})",
            f"  agent utilisation      {util:6.1%} of chat slots",
        ]
        if self.sla_breaches is not None:
            lines.append(f"  sla_breach events      {self.sla_breaches}")
        if self.wall_seconds:
            lines.append(f"  ran in {self.wall_seconds:.0f} s wall time")
        return "\n".join(lines)


def summarise(day: list[Inquiry], cfg: Config, mode: str) -> Report:
    rep = Report(agents=cfg.agents, inquiries=len(day), mode=mode)
    for inq in day:
        if inq.contained:
            rep.contained += 1
            continue
        rep.human += 1
        if inq.abandoned:
            rep.abandoned += 1
            continue
        if inq.queued is not None and inq.assigned is not None:
            rep.waits.append(inq.assigned - inq.queued)
            if inq.replied is not None and inq.replied - inq.queued <= 600:
                rep.first_response_met += 1
            end = inq.resolved if inq.resolved is not None else 86400 + 4 * 3600
            rep.busy_slot_seconds += max(0.0, min(end, 86400) - inq.assigned)
    return rep


async def run_real(cfg: Config, day: list[Inquiry], speed: float = 0.0) -> Report:
    from sqlalchemy import func, select

    from kefu.actions import commerce
    from kefu.actions import conversations as conv
    from kefu.actions.agents import create_agent, do_set_presence
    from kefu.actions.console_presence import do_open_console, do_renew_console
    from kefu.actions.context import Actor, ActorKind, Kefu, Role, transaction
    from kefu.clock import FakeClock
    from kefu.domain.vocabulary import Presence
    from kefu.jobs.runner import tick as background_tick
    from kefu.realtime.broker import InProcessBroker
    from kefu.settings import Settings
    from kefu.storage.database import Database
    from kefu.storage.migrate import upgrade
    from kefu.storage.models import Conversation, Event, Tenant
    from kefu.subscribers import default_subscribers

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="kefu-sim-"))
    url = f"sqlite:///{tmp / 'sim.db'}"
    upgrade(url)
    settings = Settings(
        env="test", database_url=url, data_dir=tmp, log_json=False, run_scheduler=False,
        argon2_time_cost=1, argon2_memory_kib=1024,
    )  # fmt: skip
    clock = FakeClock(DAY0 - timedelta(hours=1))
    kefu = Kefu(settings, Database(url), InProcessBroker(), clock, default_subscribers())
    try:
        async with transaction(kefu) as tx:
            tenant = Tenant(slug="sim", name="模拟卡盟", widget_secret="s" * 32, settings={},
                            created_at=tx.now)  # fmt: skip
            tx.session.add(tenant)
            await tx.session.flush()
            tenant_id = tenant.id
        machine = Actor(ActorKind.MACHINE, tenant_id)
        staff: list[Actor] = []
        for a in range(cfg.agents):
            agent = await create_agent(
                kefu, tenant_id, email=f"a{a}@sim.test", password="simulate-1",
                agent_no=f"KF{1000 + a}", display_name=f"客服{a}", role=Role.AGENT,
                capacity=cfg.capacity,
            )  # fmt: skip
            actor = Actor(ActorKind.STAFF, tenant_id, agent_id=agent.id, role=Role.AGENT)
            await do_set_presence(kefu, actor, Presence.ONLINE)
            # routing counts an agent only while a console connection holds a lease
            # (docs/presence.md): each simulated agent keeps one open all day
            await do_open_console(kefu, actor, f"sim-console-{a}", CONSOLE_HEARTBEAT_S)
            staff.append(actor)
        by_agent = {a.agent_id: a for a in staff}
        customers: list[Actor] = []
        for c in range(min(400, len(day))):
            tier = day[c].tier
            row = await commerce.do_upsert_customer(
                kefu, machine, commerce.CustomerUpsert(external_id=f"c{c}", tier=tier)
            )
            customers.append(Actor(ActorKind.CUSTOMER, tenant_id, customer_id=row.id))

        heap: list[tuple[float, int, str, int]] = []
        seq = 0

        def push(at: float, kind: str, n: int) -> None:
            nonlocal seq
            seq += 1
            heapq.heappush(heap, (at, seq, kind, n))

        for inq in day:
            push(inq.at, "arrive", inq.n)
        for minute in range(0, 86400 + 4 * 3600, 60):
            push(float(minute), "tick", -1)
        public: dict[int, str] = {}
        by_public: dict[str, int] = {}
        tracked: set[str] = set()

        async def sync_assigned(now: float) -> None:
            async with kefu.db.read() as session:
                rows = (
                    await session.execute(
                        select(Conversation.public_id, Conversation.assignee_id).where(
                            Conversation.tenant_id == tenant_id,
                            Conversation.status == "assigned",
                        )
                    )
                ).all()
            for public_id, _agent in rows:
                if public_id in tracked or public_id not in by_public:
                    continue
                tracked.add(public_id)
                inq = day[by_public[public_id]]
                inq.assigned = now
                push(now + inq.reply_after, "reply", inq.n)
                push(now + inq.handling, "resolve", inq.n)

        async def status_of(public_id: str) -> str:
            async with kefu.db.read() as session:
                return str(
                    (
                        await session.execute(
                            select(Conversation.status).where(Conversation.public_id == public_id)
                        )
                    ).scalar_one()
                )

        async def assignee_actor(public_id: str) -> Actor | None:
            async with kefu.db.read() as session:
                agent_id = (
                    await session.execute(
                        select(Conversation.assignee_id).where(Conversation.public_id == public_id)
                    )
                ).scalar_one()
            return by_agent.get(agent_id)

        last = 0.0
        while heap:
            at, _, kind, n = heapq.heappop(heap)
            if speed > 0:
                await asyncio.sleep(max(0.0, (at - last) / speed))
            last = at
            clock.set(DAY0 + timedelta(seconds=at))
            if kind == "tick":
                for a, actor in enumerate(staff):
                    await do_renew_console(kefu, actor, f"sim-console-{a}", CONSOLE_HEARTBEAT_S)
                await background_tick(kefu)  # what the server's background loop does
                await sync_assigned(at)
                continue
            inq = day[n]
            if kind == "arrive":
                who = customers[n % len(customers)]
                created = await conv.do_create_conversation(
                    kefu, who, conv.NewConversation(body=inq.text)
                )
                public[n] = created.public_id
                by_public[created.public_id] = n
                status = await status_of(created.public_id)
                if status == "bot" and not inq.accepts_bot:
                    await conv.do_request_handoff(kefu, who, created.public_id, reason="button")
                    status = await status_of(created.public_id)
                inq.contained = status == "bot"
                if not inq.contained:
                    inq.queued = at
                    push(at + inq.patience, "abandon", n)
            elif kind == "abandon":
                if await status_of(public[n]) == "queued":
                    inq.abandoned = True
                    await conv.do_change_status(kefu, machine, public[n], "closed",
                                                reason="abandoned")  # fmt: skip
            elif kind == "reply":
                handler = await assignee_actor(public[n])
                if handler is not None and await status_of(public[n]) == "assigned":
                    await conv.do_post_message(kefu, handler, public[n], "您好，正在为您处理")
                    inq.replied = at
            elif kind == "resolve":
                handler = await assignee_actor(public[n])
                if handler is not None and await status_of(public[n]) == "assigned":
                    await conv.do_change_status(kefu, handler, public[n], "resolved")
                    inq.resolved = at
            await sync_assigned(at)
        report = summarise(day, cfg, "real")
        async with kefu.db.read() as session:
            report.sla_breaches = int(
                (
                    await session.execute(
                        select(func.count(Event.id)).where(
                            Event.tenant_id == tenant_id,
                            Event.type == "sla_breach",
                            Event.data["kind"].as_string() == "breach",
                        )
                    )
                ).scalar_one()
            )
    finally:
        await kefu.db.dispose()
    report.wall_seconds = time.perf_counter() - started
    return report


# -- the fast twin (for staffing search) ----------------------------------------------


def run_twin(cfg: Config, day: list[Inquiry], contained: dict[int, bool]) -> Report:
    """Same day, same bot outcomes, same people; queue = FIFO, slots = agents x capacity."""
    twin = [
        Inquiry(**{**i.__dict__, "contained": contained.get(i.n, False), "queued": None,
                   "assigned": None, "replied": None, "resolved": None, "abandoned": False})
        for i in day
    ]  # fmt: skip
    free = cfg.agents * cfg.capacity
    heap: list[tuple[float, int, str, int]] = []
    for i in twin:
        if not i.contained:
            heapq.heappush(heap, (i.at, 0, "arrive", i.n))
    waiting: list[int] = []
    while heap:
        at, _, kind, n = heapq.heappop(heap)
        inq = twin[n]
        if kind == "arrive":
            inq.queued = at
            waiting.append(n)
            heapq.heappush(heap, (at + inq.patience, 1, "abandon", n))
        elif kind == "abandon" and inq.assigned is None and not inq.abandoned:
            inq.abandoned = True
            waiting.remove(n)
        elif kind == "done":
            free += 1
        while free > 0 and waiting:
            nxt = twin[waiting.pop(0)]
            free -= 1
            nxt.assigned = at
            nxt.replied = at + nxt.reply_after
            nxt.resolved = at + nxt.handling
            heapq.heappush(heap, (nxt.resolved, 2, "done", nxt.n))
    return summarise(twin, cfg, "twin")


_TARGET = re.compile(r"^(wait_p50|wait_p90|sla|abandon)\s*(<=|>=)\s*([0-9.]+)$")


def parse_target(text: str) -> Callable[[Report], bool]:
    m = _TARGET.match(text.strip())
    if m is None:
        raise SystemExit(f"bad --target {text!r}: use e.g. wait_p90<=600, sla>=0.9, abandon<=0.05")
    name, op, value = m.group(1), m.group(2), float(m.group(3))
    if op == "<=":
        return lambda r: r.metrics()[name] <= value
    return lambda r: r.metrics()[name] >= value


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kefu simulate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    # `kefu simulate seeds ...` (positional) works with the CLI's REMAINDER parsing
    parser.add_argument("scenario", nargs="?", choices=[*sorted(PRESETS), "day"])
    parser.add_argument("--preset", choices=sorted(PRESETS))
    parser.add_argument("--inquiries", type=int)
    parser.add_argument("--agents", help="a number, or auto (with --target)")
    parser.add_argument("--target", default="wait_p90<=600")
    parser.add_argument("--capacity", type=int, default=3, help="chats per agent at once")
    parser.add_argument("--accept", type=float, default=None,
                        help="share of bot answers the customer accepts (default: measured "
                             "from --dialogues)")  # fmt: skip
    parser.add_argument("--dialogues", type=Path, default=DIALOGUES,
                        help="scripted conversations that measure the acceptance")  # fmt: skip
    parser.add_argument("--patience", type=float, default=15.0, help="mean minutes")
    parser.add_argument("--handling", type=float, default=8.0, help="median minutes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--speed", type=float, default=0.0,
                        help="pace: simulated seconds per real second (0 = flat out)")  # fmt: skip
    args = parser.parse_args(argv)
    preset = PRESETS.get(args.preset or args.scenario or "", {})
    auto = args.agents == "auto"
    if args.accept is not None:
        accept, accept_note = args.accept, "assumed (--accept)"
    elif args.dialogues.is_file():
        accept, accept_note = measure_acceptance(args.dialogues)
    else:
        accept, accept_note = 0.6, f"assumed: 0.6 ({args.dialogues} not found)"
    args.accept = accept
    cfg = Config(
        inquiries=args.inquiries or preset.get("inquiries", 500),
        agents=int(preset.get("agents", 3)) if auto or args.agents is None else int(args.agents),
        capacity=args.capacity, accept=args.accept, patience_min=args.patience,
        handling_min=args.handling, seed=args.seed,
    )  # fmt: skip
    day = make_day(cfg)
    print(f"kefu simulate: {cfg.inquiries} inquiries over one day (Asia/Shanghai), seed {cfg.seed}")
    source = phrase_source()
    print("inputs:")
    print(
        f"  customer messages      {source.name} "
        f"({'independent held-out set' if source == INDEPENDENT_DEV else 'train-style dev set'})"
    )
    print("  bot answers            the real bot on each message (measured in this run)")
    print(f"  acceptance of answers  {accept:.1%} — {accept_note}")
    print("  intent mix, arrivals by hour, patience (mean "
          f"{cfg.patience_min:g} min), handling (median {cfg.handling_min:g} min), "
          "agent reply delay 20–60 s, tiers: assumed")  # fmt: skip
    real = asyncio.run(run_real(cfg, day, args.speed))
    print(real.render(cfg.capacity))
    if not auto:
        return 0
    meets = parse_target(args.target)
    contained = {i.n: bool(i.contained) for i in day}
    found = None
    for n in range(1, 201):
        twin = run_twin(Config(**{**cfg.__dict__, "agents": n}), day, contained)
        if meets(twin):
            found = n
            print(twin.render(cfg.capacity))
            break
    if found is None:
        print(f"no staffing up to 200 agents meets {args.target}")
        return 1
    print(f"smallest staffing meeting {args.target} (twin): {found} agents; confirming…")
    # the twin is FIFO; the real queue serves VIPs and urgent cases first, so the
    # real tail can be longer: confirm with real runs, one more agent at a time
    for agents in range(found, found + 4):
        confirm = asyncio.run(run_real(Config(**{**cfg.__dict__, "agents": agents}), make_day(cfg)))
        print(confirm.render(cfg.capacity))
        if meets(confirm):
            print(f"smallest staffing meeting {args.target} (real run): {agents} agents")
            return 0
        print(f"real run with {agents} agents: target {args.target} not met")
    return 1
