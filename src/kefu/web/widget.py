"""The embeddable widget script (/widget.js) and a demo 卡盟 shop page that embeds it."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kefu.web.templating import STATIC_DIR, templates

router = APIRouter(include_in_schema=False)

WIDGET_FILE = STATIC_DIR / "widget.js"
# Shops cache the script for a short time; a new release reaches every page within minutes.
WIDGET_CACHE = "public, max-age=300, stale-while-revalidate=86400"

DEMO_PRODUCTS = [
    ("王者荣耀 点券 600", "60.00", "秒到账"),
    ("腾讯视频 VIP 月卡", "25.00", "自动发卡"),
    ("中国移动 话费 100 元", "98.50", "1–10 分钟到账"),
    ("Steam 钱包充值卡 200", "185.00", "卡密自动发货"),
    ("原神 创世结晶 6480", "648.00", "官方直充"),
    ("网易一卡通 500 元", "490.00", "卡密自动发货"),
]


@router.get("/widget.js")
async def widget_js(request: Request) -> Response:
    body = WIDGET_FILE.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    headers = {
        "Cache-Control": WIDGET_CACHE,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        # any shop may embed the script; it talks to this host with its own bearer token
        "Access-Control-Allow-Origin": "*",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/demo/shop", response_class=HTMLResponse)
async def demo_shop(request: Request, tenant: str = "demo", lang: str = "zh") -> HTMLResponse:
    """A fake 卡盟 page: the only kefu code on it is the one <script> tag."""
    return templates.TemplateResponse(
        request,
        "demo/shop.html",
        {
            "tenant": tenant[:64],
            "lang": "en" if lang == "en" else "zh",
            "products": DEMO_PRODUCTS,
            "widget_src": str(request.base_url).rstrip("/") + "/widget.js",
        },
    )
