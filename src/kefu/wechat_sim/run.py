"""``kefu wechat-sim``: the fake WeChat on a port, with one 微信客服 account and one 公众号
whose callbacks go to a running kefu (``make run``). The credentials are fixed demo values;
``kefu demo`` configures the demo tenant with the same ones (docs/wechat.md)."""

from __future__ import annotations

import argparse
import json

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


def main(argv: list[str]) -> int:
    import uvicorn

    from kefu.wechat_sim.server import create_fake_wechat

    parser = argparse.ArgumentParser(prog="kefu wechat-sim", description="a fake WeChat")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--kefu", default="http://127.0.0.1:8000", help="kefu's base URL")
    parser.add_argument("--tenant", default="demo")
    args = parser.parse_args(argv)
    fake = demo_fake(args.kefu, args.tenant)
    print(f"模拟微信 fake WeChat: http://{args.host}:{args.port}/sim  (API base for kefu)")
    print("callbacks go to:", json.dumps([c.callback_url for c in fake.corps.values()]))
    uvicorn.run(create_fake_wechat(fake), host=args.host, port=args.port, log_level="warning")
    return 0
