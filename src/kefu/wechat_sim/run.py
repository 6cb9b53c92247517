"""``kefu wechat-sim``: the fake WeChat on a port, with one 微信客服 account and one 公众号
whose callbacks go to a running kefu (``make run``). The credentials are fixed demo values;
``kefu wechat-sim`` writes them into the tenant's WeChat settings (docs/wechat.md)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from kefu.clock import SystemClock
from kefu.wechat_sim.world import Corp, FakeWeChat, OaApp

DEMO_CORP_ID = "wwdemo0000kefu001"
DEMO_KF_SECRET = "demo-kf-secret-not-for-production"
DEMO_OPEN_KFID = "wkdemo000kefu01"
DEMO_TOKEN = "DemoCallbackToken2026"
DEMO_AES_KEY = "a" * 20 + "DemoEncodingAESKeyForKefu"[:23]
DEMO_APPID = "wxdemo00000kefu01"
DEMO_OA_ID = "gh_demokefu0001"
DEMO_OA_SECRET = "demo-oa-secret-not-for-production"


def demo_fake(kefu_url: str, tenant: str) -> FakeWeChat:
    fake = FakeWeChat(SystemClock())
    base = kefu_url.rstrip("/") + f"/api/v1/wechat/{tenant}"
    fake.corps[DEMO_CORP_ID] = Corp(
        DEMO_CORP_ID,
        DEMO_KF_SECRET,
        DEMO_TOKEN,
        DEMO_AES_KEY,
        {DEMO_OPEN_KFID: "星辰卡盟官方客服"},
        callback_url=f"{base}/wecom/{DEMO_CORP_ID}",
    )
    fake.oa_apps[DEMO_APPID] = OaApp(
        DEMO_APPID,
        DEMO_OA_SECRET,
        DEMO_OA_ID,
        DEMO_TOKEN,
        DEMO_AES_KEY,
        callback_url=f"{base}/oa/{DEMO_APPID}",
    )
    return fake


def setup_changes(fake: FakeWeChat, api_base: str) -> dict[str, Any]:
    """The ``PUT /api/v1/wechat/setup`` body that points kefu at this fake."""
    corp, oa = fake.corps[DEMO_CORP_ID], fake.oa_apps[DEMO_APPID]
    return {
        "wecom": {
            "corp_id": corp.corpid,
            "secret": corp.secret,
            "token": corp.token,
            "aes_key": corp.aes_key,
            "accounts": [{"open_kfid": k, "name": n} for k, n in corp.kf_accounts.items()],
            "api_base": api_base,
        },
        "official_accounts": [
            {
                "app_id": oa.appid,
                "original_id": oa.original_id,
                "secret": oa.secret,
                "token": oa.token,
                "aes_key": oa.aes_key,
                "api_base": api_base,
            }
        ],
    }


Configure = Callable[[str, dict[str, Any]], None]


def main(argv: list[str], configure: Configure | None = None) -> int:
    import uvicorn

    from kefu.wechat_sim.server import create_fake_wechat

    parser = argparse.ArgumentParser(prog="kefu wechat-sim", description="a fake WeChat")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--kefu", default="http://127.0.0.1:8000", help="kefu's base URL")
    parser.add_argument("--tenant", default="demo")
    args = parser.parse_args(argv)
    fake = demo_fake(args.kefu, args.tenant)
    api_base = f"http://{args.host}:{args.port}"
    if configure is not None:  # the demo tenant's WeChat settings point here
        configure(args.tenant, setup_changes(fake, api_base))
    print(f"模拟微信 fake WeChat: http://{args.host}:{args.port}/sim  (API base for kefu)")
    print("callbacks go to:", json.dumps([c.callback_url for c in fake.corps.values()]))
    uvicorn.run(create_fake_wechat(fake), host=args.host, port=args.port, log_level="warning")
    return 0
