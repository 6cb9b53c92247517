"""kefu and the fake WeChat as two real HTTP servers on one fake clock: WeChat's
callbacks reach kefu over HTTP and kefu calls WeChat's API over HTTP."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from tests.livesrv import free_port, live_server
from tests.world import As, World, build_world

from kefu.actions.context import Actor, ActorKind, Kefu, Role
from kefu.actions.tenant_settings import tenant_settings_of
from kefu.actions.wechat_config import do_configure_wechat
from kefu.channels.wechat.crypto import new_aes_key
from kefu.clock import FakeClock
from kefu.settings import Settings
from kefu.web.app import create_app
from kefu.wechat_sim.server import create_fake_wechat
from kefu.wechat_sim.world import Corp, FakeWeChat, OaApp

T = TypeVar("T")

CORP, KF, APPID, OA_ID = "wwkefutest0001", "wkKefuTest01", "wxkefutest0001", "gh_kefutest01"


@dataclass
class Stack:
    kefu_url: str
    wechat_url: str
    fake: FakeWeChat
    clock: FakeClock
    world: World
    kefu: Kefu
    loop: asyncio.AbstractEventLoop
    http: httpx.Client

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def staff(self, name: str) -> As:
        return As.staff(self.http, self.world.emails[name])  # type: ignore[arg-type]

    def kf_say(self, user: str, text: str, **extra: Any) -> dict[str, Any]:
        r = self.http.post(
            f"{self.wechat_url}/sim/wecom/{CORP}/{KF}/say",
            json={"user": user, "text": text, **extra},
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    def oa_say(self, user: str, **body: Any) -> dict[str, Any]:
        r = self.http.post(f"{self.wechat_url}/sim/oa/{APPID}/say", json={"user": user, **body})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def inbox(self, account: str, user: str) -> list[dict[str, Any]]:
        return [d.message for d in self.fake.inbox(account, user)]


@pytest.fixture
def stack(settings: Settings, clock: FakeClock) -> Iterator[Stack]:
    fake = FakeWeChat(clock)
    fake.corps[CORP] = Corp(CORP, "kf-secret-1", "KfToken123", new_aes_key(), {KF: "官方客服"})
    fake.oa_apps[APPID] = OaApp(APPID, "oa-secret-1", OA_ID, "OaToken123", new_aes_key())
    app = create_app(settings, clock=clock)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=lambda: loop.run_until_complete(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "kefu did not start"
        time.sleep(0.05)
    kefu_url = f"http://127.0.0.1:{port}"
    try:
        with (
            live_server(create_fake_wechat(fake)) as wechat_url,
            httpx.Client(base_url=kefu_url, timeout=30) as http,
        ):
            kefu: Kefu = app.state.kefu
            world = asyncio.run_coroutine_threadsafe(build_world(kefu), loop).result(60)
            base = f"{kefu_url}/api/v1/wechat/{world.slug}"
            fake.corps[CORP].callback_url = f"{base}/wecom/{CORP}"
            fake.oa_apps[APPID].callback_url = f"{base}/oa/{APPID}"
            stack = Stack(kefu_url, wechat_url, fake, clock, world, kefu, loop, http)
            stack.run(_configure(kefu, world, fake, wechat_url))
            yield stack
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def _configure(kefu: Kefu, world: World, fake: FakeWeChat, wechat_url: str) -> None:
    admin = Actor(kind=ActorKind.MACHINE, tenant_id=world.tenant_id, role=Role.ADMIN)
    corp, oa = fake.corps[CORP], fake.oa_apps[APPID]
    current = await tenant_settings_of(kefu, admin)
    await do_configure_wechat(
        kefu,
        admin,
        current,
        {
            "wecom": {
                "corp_id": CORP,
                "secret": corp.secret,
                "token": corp.token,
                "aes_key": corp.aes_key,
                "accounts": [{"open_kfid": KF, "name": "官方客服"}],
                "api_base": wechat_url,
            },
            "official_accounts": [
                {
                    "app_id": APPID,
                    "original_id": OA_ID,
                    "secret": oa.secret,
                    "token": oa.token,
                    "aes_key": oa.aes_key,
                    "api_base": wechat_url,
                }
            ],
        },
    )
