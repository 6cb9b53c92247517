"""``kefu bot eval --dialogues FILE.jsonl``: whole conversations against a real server.

Each line of FILE is one scripted conversation (docs/bot.md, "Dialogue evaluation"):
fixtures (orders owned by this customer or by someone else, the tenant's official
channels, whether the customer is signed in) and customer turns with expectations.
The harness starts the app on a loopback port with a temporary SQLite database,
seeds the fixtures through the actions layer, and talks to the server exactly as the
widget does: ``POST /api/v1/widget/session`` (with a signed identity token when the
customer is signed in), ``POST /api/v1/conversations``, ``POST .../messages`` per turn,
and the bot's answer arrives over the ``/ws`` WebSocket. It reads the status after each
turn and the staff view of the stored timeline at the end.

Scored per turn: handoff (expected with a person after this turn, or expected still
with the bot), trapped (asked for a person, or said twice that the bot did not help,
and still with the bot), the bot never asks for a secret, secrets never stored,
order answers (status of owned orders stated, nothing revealed of others'), channel
verdicts (each named contact called official or not), and the reply language.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["DialogueInputError", "load_dialogues", "run_dialogues", "score_reply_language"]

TURN_WAIT_S = 20.0  # a safety net against a bot that never answers, not a timing goal

_SECRETS_ZH = r"(?:登录|支付|账号)?(?:密码|验证码|校验码|动态码|卡密|银行卡号|身份证号)"
_ASKS_SECRET = re.compile(
    r"(?:请|麻烦|需要)(?:您)?(?:把|将)?(?:您的|你的)?(?:发送|提供|告诉|输入|报|发|给)(?:一下)?"
    r"(?:我|我们|客服)?(?:您的|你的)?"
    + _SECRETS_ZH
    + r"|(?:发给我|告诉我|提供给我|报给我)(?:您的|你的)?"
    + _SECRETS_ZH
    + r"|(?:请|麻烦)(?:您)?(?:把|将)(?:您的|你的)?"
    + _SECRETS_ZH
    + r"(?:发|告诉|提供|报)"
    + r"|(?:send|tell|give|provide|share)(?: me| us)?(?: your| the)? "
    r"(?:password|verification code|sms code|card code|pin)\b",
    re.IGNORECASE,
)
_NEGATED_ASK = re.compile(r"请勿|不要|不会|别|never|do not|don't|not ask", re.IGNORECASE)
_OFFICIAL = ("是官方渠道", "is an official channel")
_NOT_OFFICIAL = ("不是我们的官方渠道", "is NOT one of our official channels")


class DialogueInputError(Exception):
    pass


@dataclass
class TurnResult:
    text: str
    reply: str = ""
    status: str = ""
    failures: list[str] = field(default_factory=list)


@dataclass
class DialogueResult:
    id: str
    turns: list[TurnResult] = field(default_factory=list)
    trapped: bool = False
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures and not any(t.failures for t in self.turns)


def load_dialogues(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise DialogueInputError(f"{path}: no such file")
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DialogueInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict) or not isinstance(row.get("turns"), list):
            raise DialogueInputError(f"{path}:{number}: needs a 'turns' list")
        row.setdefault("id", str(number))
        rows.append(row)
    if not rows:
        raise DialogueInputError(f"{path}: no dialogues")
    return rows


def score_reply_language(reply: str) -> str:
    cjk = len(re.findall(r"[\u4e00-\u9fff]", reply))
    latin = len(re.findall(r"[A-Za-z]", reply))
    return "zh" if cjk * 3 >= latin else "en"


def _turn_text(turn: dict[str, Any]) -> str:
    for key in ("text", "customer", "say", "message"):
        if isinstance(turn.get(key), str):
            return str(turn[key])
    return ""


def _expect(turn: dict[str, Any]) -> dict[str, Any]:
    exp = turn.get("expect")
    if isinstance(exp, dict):
        return exp
    return {k: v for k, v in turn.items() if k not in ("text", "customer", "say", "message")}


def check_turn(
    turn: dict[str, Any],
    result: TurnResult,
    fixtures: dict[str, Any],
    dialogue_lang: str | None,
) -> None:
    """Score one turn's reply and status against its expectations."""
    exp = _expect(turn)
    reply, with_bot = result.reply, result.status == "bot"
    if exp.get("handoff") is True and with_bot:
        result.failures.append("expected a handoff")
    if exp.get("handoff") is False and not with_bot:
        result.failures.append("false handoff")
    if exp.get("urgent") is True and with_bot:
        result.failures.append("expected an urgent handoff")
    for m in _ASKS_SECRET.finditer(reply):
        window = reply[max(0, m.start() - 8) : m.end()]
        if not _NEGATED_ASK.search(window):
            result.failures.append("asked for a secret")
    orders = {str(o.get("order_no", "")).upper(): o for o in fixtures.get("orders", [])}
    for order_no in _as_list(exp.get("order") or exp.get("orders") or exp.get("order_answer")):
        order = orders.get(str(order_no).upper(), {"owned": False})
        if str(order_no).upper() not in reply.upper():
            result.failures.append(f"order {order_no} not answered")
        if not order.get("owned", True):
            for secret_field in ("product", "amount"):
                value = str(order.get(secret_field) or "")
                if value and value in reply:
                    result.failures.append(f"revealed {secret_field} of an order not theirs")
    for value, official in _verdicts(exp):
        if not _verdict_for(reply, value, official):
            want = "official" if official else "not official"
            result.failures.append(f"no '{want}' verdict for {value}")
    want_lang = exp.get("lang") or dialogue_lang
    if want_lang in ("zh", "en") and reply and score_reply_language(reply) != want_lang:
        result.failures.append(f"answered in the wrong language (wanted {want_lang})")


def _verdicts(exp: dict[str, Any]) -> list[tuple[str, bool]]:
    """``{"verdicts": {value: "official"|"fake"}}`` or
    ``{"channel_verify": [{"contact": value, "official": bool}]}``."""
    out: list[tuple[str, bool]] = []
    verdicts = exp.get("verdicts") or exp.get("channel_verdicts") or {}
    if isinstance(verdicts, dict):
        for value, verdict in verdicts.items():
            out.append((str(value), str(verdict).lower() in ("official", "true", "yes", "real")))
    for item in _as_list(exp.get("channel_verify")):
        if isinstance(item, dict) and item.get("contact"):
            out.append((str(item["contact"]), bool(item.get("official"))))
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None or value is False:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _verdict_for(reply: str, value: str, official: bool) -> bool:
    digits = re.sub(r"\D", "", value)
    for sentence in re.split(r"(?<=[。.!！])\s*", reply):
        named = value.lower() in sentence.lower() or (
            len(digits) >= 5 and digits in re.sub(r"\D", "", sentence)
        )
        if not named:
            continue
        fake = any(p.lower() in sentence.lower() for p in _NOT_OFFICIAL)
        real = not fake and any(p.lower() in sentence.lower() for p in _OFFICIAL)
        if (official and real) or (not official and fake):
            return True
    return False


def _trap_points(turns: list[dict[str, Any]], by_turn: Any = None) -> set[int]:
    """Turn indexes after which the customer must be with a person: an explicit request
    for one, the second 'that did not help', or the turn (1-based ``by_turn``) by which
    the scenario says a person must have taken over."""
    points: set[int] = set()
    if isinstance(by_turn, int) and not isinstance(by_turn, bool) and 1 <= by_turn <= len(turns):
        points.add(by_turn - 1)
    unhelpful = 0
    for i, turn in enumerate(turns):
        exp = _expect(turn)
        if exp.get("asks_human") or turn.get("asks_human"):
            points.add(i)
        if exp.get("unhelpful") or turn.get("unhelpful"):
            unhelpful += 1
            if unhelpful >= 2:
                points.add(i)
    return points


def summarise(results: list[DialogueResult]) -> dict[str, Any]:
    turns = [t for r in results for t in r.turns]
    kinds: Counter[str] = Counter()
    for r in results:
        for failure in r.failures + [f for t in r.turns for f in t.failures]:
            kinds[re.sub(r"\b(KM\w+|\d{5,}|[\w.-]+\.\w{2,})\b", "…", failure)] += 1
    passed = sum(1 for r in results if r.passed)
    return {
        "dialogues": len(results),
        "passed": passed,
        "passed_pct": round(100 * passed / len(results), 2) if results else None,
        "trapped": sum(1 for r in results if r.trapped),
        "turns": len(turns),
        "failures": dict(kinds.most_common()),
        "contained": sum(1 for r in results if r.turns and r.turns[-1].status == "bot"),
    }


# -- the live run -------------------------------------------------------------------


async def _seed(url: str, tmp: Path, dialogues: list[dict[str, Any]]) -> dict[str, Any]:
    from kefu.actions import commerce
    from kefu.actions.agents import create_agent
    from kefu.actions.commerce import ORDER_STATUSES
    from kefu.actions.context import Actor, ActorKind, Kefu, Role, transaction
    from kefu.actions.knowledge import seed_default_articles
    from kefu.clock import SystemClock
    from kefu.realtime.broker import InProcessBroker
    from kefu.storage.database import Database
    from kefu.storage.models import Tenant

    settings = _settings(url, tmp)
    kefu = Kefu(settings, Database(url), InProcessBroker(), SystemClock())
    secret = secrets.token_hex(24)
    try:
        async with transaction(kefu) as tx:
            tenant = Tenant(
                slug="eval", name="评测卡盟", widget_secret=secret, settings={}, created_at=tx.now
            )
            tx.session.add(tenant)
            await tx.session.flush()
            tenant_id = tenant.id
        await seed_default_articles(kefu, tenant_id)
        await create_agent(
            kefu, tenant_id, email="agent@eval.test", password="eval-agent-1",
            agent_no="KF8012", display_name="评测客服", role=Role.AGENT,
        )  # fmt: skip
        machine = Actor(ActorKind.MACHINE, tenant_id)
        await commerce.do_upsert_customer(kefu, machine, commerce.CustomerUpsert("someone-else"))
        for d in dialogues:
            ext = f"d-{d['id']}"
            await commerce.do_upsert_customer(kefu, machine, commerce.CustomerUpsert(ext))
            for order in (d.get("fixtures") or {}).get("orders", []):
                owned = order.get("owned", True)
                await commerce.do_upsert_order(
                    kefu,
                    machine,
                    commerce.OrderUpsert(
                        order_no=str(order["order_no"]).upper(),
                        product=str(order.get("product") or "王者荣耀 点券"),
                        amount=_amount(order.get("amount")),
                        status=_STATUS.get(str(order.get("status")), str(order.get("status")))
                        if str(order.get("status")) in (*ORDER_STATUSES, *_STATUS)
                        else "processing",
                        customer_external_id=ext if owned else "someone-else",
                    ),
                )
    finally:
        await kefu.db.dispose()
    return {"tenant_id": tenant_id, "secret": secret, "url": url}


_STATUS = {"completed": "delivered", "success": "delivered", "pending": "pending_payment"}


def _amount(value: Any) -> Decimal:
    found = re.search(r"\d+(?:\.\d+)?", str(value or ""))
    return Decimal(found.group(0)) if found else Decimal("30.00")


def _settings(url: str, tmp: Path) -> Any:
    from kefu.settings import Settings

    return Settings(
        env="test", database_url=url, data_dir=tmp, log_json=False, log_level="WARNING",
        secret_key="dialogue-eval-" + "k" * 40, argon2_time_cost=1, argon2_memory_kib=1024,
        run_scheduler=True, gc_thresholds=None,
    )  # fmt: skip


async def _set_channels(url: str, tmp: Path, tenant_id: int, channels: list[Any]) -> None:
    from sqlalchemy import update

    from kefu.actions.context import Kefu, transaction
    from kefu.clock import SystemClock
    from kefu.realtime.broker import InProcessBroker
    from kefu.storage.database import Database
    from kefu.storage.models import Tenant

    kefu = Kefu(_settings(url, tmp), Database(url), InProcessBroker(), SystemClock())
    try:
        async with transaction(kefu) as tx:
            await tx.session.execute(
                update(Tenant)
                .where(Tenant.id == tenant_id)
                .values(
                    settings={
                        "official_channels": [
                            {
                                "type": c.get("type") or c.get("kind"),
                                "value": c.get("value"),
                                "label": c.get("label") or "",
                            }
                            for c in channels
                        ]
                    }
                )
            )
    finally:
        await kefu.db.dispose()


class _Server:
    """uvicorn with the real app on a free loopback port, in a background thread."""

    def __init__(self, url: str, tmp: Path) -> None:
        import socket

        import uvicorn

        from kefu.web.app import create_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        app = create_app(_settings(url, tmp))
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 600  # the first start may train the model
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


async def _play(base: str, seeded: dict[str, Any], d: dict[str, Any]) -> DialogueResult:
    import httpx
    import websockets

    from kefu.domain.signed_tokens import KeyRing, sign

    fixtures = d.get("fixtures") or {}
    lang = d.get("lang") if d.get("lang") in ("zh", "en") else None
    result = DialogueResult(id=str(d["id"]))
    async with httpx.AsyncClient(base_url=base, timeout=TURN_WAIT_S) as http:
        req: dict[str, Any] = {"tenant": "eval"}
        if fixtures.get("signed_in", d.get("signed_in", True)):
            payload = {
                "customer_id": f"d-{d['id']}",
                "exp": int(time.time()) + 3600,
                "nonce": secrets.token_hex(8),
            }
            req["identity_token"] = sign(payload, KeyRing.of(seeded["secret"]))
        r = await http.post("/api/v1/widget/session", json=req)
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        r = await http.post(
            "/api/v1/conversations",
            json={"channel": "web", "start_with_bot": True},
            headers=headers,
        )
        r.raise_for_status()
        conv = r.json()["id"]
        ws_url = base.replace("http://", "ws://") + "/ws"
        async with websockets.connect(ws_url, open_timeout=TURN_WAIT_S) as ws:
            await ws.send(json.dumps({"type": "hello", "token": headers["Authorization"][7:]}))
            await ws.send(json.dumps({"type": "subscribe", "conversation_id": conv}))
            traps = _trap_points(d["turns"], d.get("must_handoff_by_turn"))
            must_not = d.get("must_not_handoff") is True
            for i, turn in enumerate(d["turns"]):
                text = _turn_text(turn)
                tr = TurnResult(text=text)
                r = await http.post(
                    f"/api/v1/conversations/{conv}/messages",
                    json={"body": text, "client_msg_id": f"t{i}", "lang": lang or "zh"},
                    headers=headers,
                )
                if r.status_code != 201:
                    tr.failures.append(f"message refused: {r.status_code}")
                    result.turns.append(tr)
                    continue
                seq = int(r.json()["event"]["seq"])
                before = await _status(http, conv, headers)
                if before == "bot" or i == 0:
                    tr.reply = await _bot_reply(ws, seq, http, conv, headers)
                tr.status = await _status(http, conv, headers)
                check_turn(turn, tr, fixtures, lang)
                if i in traps and tr.status == "bot":
                    tr.failures.append("not handed over when it had to be")
                if must_not and tr.status not in ("bot", ""):
                    tr.failures.append("false handoff (the scenario must stay with the bot)")
                result.turns.append(tr)
            # trapped: needed a person (asked for one, said twice it did not help, or the
            # scenario says so) and is still with the bot when the conversation ends
            if traps and result.turns and result.turns[-1].status == "bot":
                result.trapped = True
        staff_text = await _stored_text(seeded["url"], conv)
        for turn in d["turns"]:
            exp = _expect(turn)
            for secret in _as_list(exp.get("secret") or exp.get("secrets") or turn.get("secrets")):
                if secret and str(secret) in staff_text:
                    result.failures.append("a secret was stored in clear")
    return result


async def _status(http: Any, conv: str, headers: dict[str, str]) -> str:
    r = await http.get(f"/api/v1/conversations/{conv}", headers=headers)
    return str(r.json().get("status", "")) if r.status_code == 200 else ""


async def _bot_reply(ws: Any, seq: int, http: Any, conv: str, headers: dict[str, str]) -> str:
    """The bot's answer to the message with ``seq``, as the widget receives it."""
    deadline = time.monotonic() + TURN_WAIT_S
    while time.monotonic() < deadline:
        try:
            raw = await asyncio.wait_for(ws.recv(), max(0.05, deadline - time.monotonic()))
        except TimeoutError:
            break
        frame = json.loads(raw)
        event = frame.get("event") or {}
        if event.get("type") == "bot_turn" and int(event.get("seq", 0)) > seq:
            return str(event.get("body", ""))
        if event.get("type") in ("handoff", "assignment") and int(event.get("seq", 0)) > seq:
            break
    r = await http.get(
        f"/api/v1/conversations/{conv}/events", params={"after_seq": seq}, headers=headers
    )
    turns = [e for e in r.json().get("events", []) if e["type"] == "bot_turn"]
    return str(turns[0]["body"]) if turns else ""


async def _stored_text(url: str, conv: str) -> str:
    """Everything stored for the conversation (what staff could ever read)."""
    from sqlalchemy import select

    from kefu.storage.database import Database
    from kefu.storage.models import Conversation, Event

    db = Database(url)
    try:
        async with db.read() as session:
            cid = (
                await session.execute(select(Conversation.id).where(Conversation.public_id == conv))
            ).scalar_one()
            rows = (
                await session.execute(select(Event).where(Event.conversation_id == cid))
            ).scalars()
            return "\n".join(e.body + json.dumps(e.data or {}, ensure_ascii=False) for e in rows)
    finally:
        await db.dispose()


async def _run_all(dialogues: list[dict[str, Any]], base: str, seeded: dict[str, Any]) -> Any:
    results = []
    for d in dialogues:
        try:
            results.append(await _play(base, seeded, d))
        except Exception as exc:  # one broken scenario must not hide the others
            results.append(DialogueResult(id=str(d["id"]), failures=[f"error: {exc!r}"]))
    return results


def run_dialogues(dialogues: list[dict[str, Any]]) -> tuple[dict[str, Any], list[DialogueResult]]:
    """Play every dialogue against a fresh server; return the summary and the results.

    Dialogues are grouped by their official-channel fixture (the tenant's settings are
    set before each group)."""
    from kefu.storage.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="kefu-dialogues-"))
    url = f"sqlite:///{tmp / 'eval.db'}"
    upgrade(url)
    seeded = asyncio.run(_seed(url, tmp, dialogues))
    groups: dict[str, list[dict[str, Any]]] = {}
    for d in dialogues:
        channels = (d.get("fixtures") or {}).get("official_channels") or []
        groups.setdefault(json.dumps(channels, sort_keys=True, ensure_ascii=False), []).append(d)
    results: list[DialogueResult] = []
    started = time.perf_counter()
    with _Server(url, tmp) as base:
        for key, group in groups.items():
            asyncio.run(_set_channels(url, tmp, seeded["tenant_id"], json.loads(key)))

            results.extend(asyncio.run(_run_all(group, base, seeded)))
    order = {str(d["id"]): i for i, d in enumerate(dialogues)}
    results.sort(key=lambda r: order.get(r.id, 0))
    summary = summarise(results)
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    return summary, results


def print_summary(summary: dict[str, Any], results: list[DialogueResult], out: Any) -> None:
    def p(*parts: object) -> None:
        print(*parts, file=out)

    p(
        f"dialogues: {summary['dialogues']}  passed: {summary['passed']} "
        f"({summary['passed_pct']}%)  trapped: {summary['trapped']}  turns: {summary['turns']}"
    )
    p(f"still with the bot at the end (contained): {summary['contained']}")
    if summary["failures"]:
        p("failures by kind:")
        for kind, n in summary["failures"].items():
            p(f"  {n:4d}  {kind}")
    p(f"ran in {summary['wall_seconds']} s")
    del results


def main(argv: list[str]) -> int:
    """``kefu bot eval [FILE.jsonl] --dialogues DIALOGUES.jsonl [--json] [--results OUT]``"""
    import argparse
    import sys

    if argv and argv[0] == "eval":
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="kefu bot eval", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, nargs="?", help="single messages (JSONL), optional")
    parser.add_argument("--dialogues", type=Path, required=True)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--results", type=Path, help="write per-dialogue results (JSONL)")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)
    try:
        dialogues = load_dialogues(args.dialogues)
    except DialogueInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.file is not None:
        from kefu.nlu.evaluation import main as messages_main

        code = messages_main(
            [str(args.file), *(["--json"] if args.json else []),
             *(["--no-baseline"] if args.no_baseline else [])]
        )  # fmt: skip
        if code:
            return code
    summary, results = run_dialogues(dialogues)
    if args.results is not None:
        with args.results.open("w", encoding="utf-8") as fh:
            for r in results:
                row = {
                    "id": r.id,
                    "passed": r.passed,
                    "trapped": r.trapped,
                    "failures": r.failures,
                    "turns": [
                        {"text": t.text, "reply": t.reply, "status": t.status,
                         "failures": t.failures}
                        for t in r.turns
                    ],
                }  # fmt: skip
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps({"dialogues": summary}, ensure_ascii=False))
    else:
        print_summary(summary, results, sys.stdout)
    return 0
