"""The `kefu` command: serve, migrate, demo, up, create-admin, create-token, bot eval."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy import select

from kefu.actions.context import Kefu, Role
from kefu.clock import SystemClock
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.errors import KefuError
from kefu.realtime.broker import InProcessBroker
from kefu.settings import Settings, get_settings, refuse_weak_secret_on
from kefu.storage.database import Database

T = TypeVar("T")


def _run_with_kefu(settings: Settings, fn: Callable[[Kefu], Awaitable[T]]) -> T:
    async def runner() -> T:
        db = Database(
            settings.database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            sqlite_writer=settings.sqlite_writer,
        )
        kefu = Kefu(settings=settings, db=db, broker=InProcessBroker(), clock=SystemClock())
        try:
            return await fn(kefu)
        finally:
            await db.dispose()

    return asyncio.run(runner())


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from kefu.storage.migrate import upgrade

    upgrade(settings.database_url)
    print("数据库已迁移到最新版本 / database migrated")
    return 0


def cmd_demo(settings: Settings, _args: argparse.Namespace) -> int:
    from kefu.demo import load_demo

    summary = _run_with_kefu(settings, lambda k: load_demo(k, settings.demo_password))
    print_banner(settings, summary)
    return 0


def print_banner(settings: Settings, summary: object) -> None:
    from kefu.demo import DemoSummary

    assert isinstance(summary, DemoSummary)
    base = settings.public_base_url
    state = "已创建" if summary.created else "已存在（未重复创建）"
    lines = [
        "",
        f"kefu 客服 — 演示平台 demo tenant '{summary.tenant_slug}' {state}",
        f"  客服工作台 console: {base}/console",
        f"  演示商城 demo shop (widget): {base}/demo/shop",
        f"  帮助中心 help center: {base}/help/{summary.tenant_slug}",
        f"  健康检查 health:   {base}/healthz",
        f"  接口文档 API docs: {base}/docs",
        f"  OpenAPI:          {base}/openapi.json",
        f"  指标 metrics:      {base}/metrics",
        "  演示登录 demo log-ins (password for all: " + summary.password + "):",
    ]
    for email, agent_no, name, role in summary.staff:
        lines.append(f"    {email:<30} 工号 {agent_no}  {name} ({role})")
    print("\n".join(lines), flush=True)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from kefu.logging_setup import configure_logging

    configure_logging(settings.log_level, settings.log_json)
    host = args.host or settings.host
    try:
        refuse_weak_secret_on(host, settings.secret_key)
    except ValueError as exc:
        print(f"错误 error [secret]: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        "kefu.web.app:create_app",
        factory=True,
        host=host,
        port=args.port or settings.port,
        workers=args.workers,
        log_config=None,
        # the client address comes from KEFU_TRUSTED_PROXIES (web/client_address.py)
        proxy_headers=False,
        # back-pressure on sends keeps per-connection memory bounded (docs/protocol.md)
        ws="websockets-sansio",
        # no permessage-deflate: chat frames are small and compressing every frame cost
        # more CPU than the bytes it saved (docs/benchmarks.md)
        ws_per_message_deflate=False,
    )
    return 0


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    cmd_migrate(settings, args)
    cmd_demo(settings, args)
    return cmd_serve(settings, args)


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from kefu.actions.agents import create_agent
    from kefu.storage.models import Tenant

    async def run(kefu: Kefu) -> str:
        async with kefu.db.read() as session:
            tenant = (
                await session.execute(select(Tenant).where(Tenant.slug == args.tenant))
            ).scalar_one_or_none()
        if tenant is None:
            raise KefuError(
                "not_found", "平台不存在", f"tenant {args.tenant!r} not found", status_code=404
            )
        agent = await create_agent(
            kefu,
            tenant.id,
            email=args.email,
            password=args.password,
            agent_no=args.agent_no,
            display_name=args.name,
            role=Role.ADMIN,
        )
        return agent.email

    email = _run_with_kefu(settings, run)
    print(f"管理员已创建 / admin created: {email}")
    return 0


def cmd_create_token(settings: Settings, args: argparse.Namespace) -> int:
    from kefu.actions.auth import create_api_token, tenant_by_slug

    async def run(kefu: Kefu) -> str:
        tenant = await tenant_by_slug(kefu, args.tenant)
        created = await create_api_token(kefu, tenant.id, args.name)
        return created.plaintext

    token = _run_with_kefu(settings, run)
    print("接口令牌（只显示这一次）/ API token (shown once):")
    print(token)
    return 0


def cmd_bot(_settings: Settings, args: argparse.Namespace) -> int:
    rest = list(args.rest)
    if any(a == "--dialogues" or a.startswith("--dialogues=") for a in rest):
        from kefu.dialogue_eval import main as dialogues_main

        return dialogues_main(rest)
    from kefu.nlu.evaluation import main as eval_main

    return eval_main(rest)


def cmd_mail_in(settings: Settings, args: argparse.Namespace) -> int:
    """Receive support mail over SMTP: each accepted mail becomes (or joins) a ticket."""
    from kefu.actions.auth import tenant_by_slug
    from kefu.actions.email_inbound import inbound_callback
    from kefu.channels.email.inbound_server import InboundMailHandler, make_inbound_controller
    from kefu.subscribers import default_subscribers

    async def run(kefu: Kefu) -> int:
        kefu.subscribers = default_subscribers()
        tenant = await tenant_by_slug(kefu, args.tenant)
        addresses = list(args.address or parse_tenant_settings(tenant.settings).support_emails)
        if not addresses:
            raise KefuError(
                "no_addresses",
                "请用 --address 指定收件地址",
                "give the support address(es) with --address",
            )
        handler = InboundMailHandler(
            addresses, inbound_callback(kefu, tenant.slug, asyncio.get_running_loop())
        )
        controller = make_inbound_controller(handler, args.host, args.port)
        controller.start()
        print(
            f"收信中 / receiving mail for {', '.join(addresses)} on {args.host}:{args.port}",
            flush=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            controller.stop()
        return 0

    return _run_with_kefu(settings, run)


def cmd_bench(_settings: Settings, args: argparse.Namespace) -> int:
    from kefu.benchmarks import main as bench_main

    return bench_main(list(args.rest))


def cmd_simulate(_settings: Settings, args: argparse.Namespace) -> int:
    from kefu.simulate import main as simulate_main

    return simulate_main(list(args.rest))


def cmd_wechat_sim(settings: Settings, args: argparse.Namespace) -> int:
    from kefu.actions.access import tenant_by_slug
    from kefu.actions.context import Actor, ActorKind, Role
    from kefu.actions.tenant_settings import tenant_settings_of
    from kefu.actions.wechat_config import do_configure_wechat
    from kefu.wechat_sim.run import main as sim_main

    def configure(slug: str, changes: dict[str, object]) -> None:
        async def run(kefu: Kefu) -> None:
            async with kefu.db.read() as session:
                tenant_id = (await tenant_by_slug(session, slug)).id
            admin = Actor(kind=ActorKind.MACHINE, tenant_id=tenant_id, role=Role.ADMIN)
            current = await tenant_settings_of(kefu, admin)
            await do_configure_wechat(kefu, admin, current, dict(changes))

        _run_with_kefu(settings, run)
        print(f"已配置平台 {slug} 的微信渠道 / WeChat settings of {slug} point at the fake")

    return sim_main(list(args.rest), configure)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kefu", description="kefu 客服 platform")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "up"):
        p = sub.add_parser(name, help="serve HTTP" if name == "serve" else "migrate, demo, serve")
        p.add_argument("--host")
        p.add_argument("--port", type=int)
        p.add_argument("--workers", type=int, default=1)
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("demo", help="load demo data (idempotent)")
    p = sub.add_parser("create-admin", help="create an admin account")
    p.add_argument("--tenant", default="demo")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--agent-no", required=True)
    p.add_argument("--name", default="管理员")
    p = sub.add_parser("create-token", help="create an API token for a tenant")
    p.add_argument("--tenant", default="demo")
    p.add_argument("--name", required=True)
    p = sub.add_parser(
        "bot", help="bot tools: kefu bot eval FILE.jsonl [--json] [--dialogues D.jsonl]"
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p = sub.add_parser("mail-in", help="receive support mail over SMTP (aiosmtpd)")
    p.add_argument("--tenant", default="demo")
    p.add_argument("--address", action="append", help="accepted recipient (repeatable)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=2525)
    p = sub.add_parser("bench", help="benchmarks: kefu bench bot|chat|reports|routing|sweeper")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p = sub.add_parser("simulate", help="replay a day of inquiries against a server")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p = sub.add_parser("wechat-sim", help="a fake WeChat to chat as a WeChat user")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "serve": cmd_serve,
    "up": cmd_up,
    "migrate": cmd_migrate,
    "demo": cmd_demo,
    "create-admin": cmd_create_admin,
    "create-token": cmd_create_token,
    "bot": cmd_bot,
    "bench": cmd_bench,
    "mail-in": cmd_mail_in,
    "simulate": cmd_simulate,
    "wechat-sim": cmd_wechat_sim,
}


PASS_THROUGH = ("bot", "bench", "simulate", "wechat-sim")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASS_THROUGH:
        # their own parsers take every argument, leading options included
        args = argparse.Namespace(command=argv[0], rest=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:
        reasons = "; ".join(str(e.get("msg", "")) for e in exc.errors())
        print(f"错误 error [settings]: {reasons}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](settings, args)
    except KefuError as exc:
        print(f"错误 error [{exc.code}]: {exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
