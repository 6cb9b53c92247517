"""/help/{slug}/verify: the public check "is this QQ / 微信 / phone / site / 工号 really
yours?" — the same list and the same matching as the bot's 官方渠道核验
(TenantSettings.official_channels, which the admin console edits, plus every active
工号; nlu/channel_check.matches), so the page and the bot never disagree. The answer
names nothing but what was asked; no personal data, no sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from kefu.actions.bot_turns import official_channels
from kefu.domain.vocabulary.labels import TABLES
from kefu.nlu.channel_check import matches
from kefu.queries.helpcenter import active_agent_numbers
from kefu.web.deps import KefuDep
from kefu.web.helpcenter import Slug, _page_context, _render

router = APIRouter(prefix="/help", include_in_schema=False)
KINDS = TABLES["official_channel"]


@router.get("/{slug}/verify", response_class=HTMLResponse)
async def verify_page(slug: Slug, request: Request, kefu: KefuDep) -> HTMLResponse:
    ctx = await _page_context(kefu, request, slug)
    return _render("help/verify.html", {**ctx, "kinds": KINDS, "asked": None})


@router.post("/{slug}/verify", response_class=HTMLResponse)
async def verify_submit(
    slug: Slug,
    request: Request,
    kefu: KefuDep,
    kind: Annotated[str, Form(max_length=16)] = "",
    value: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    ctx = await _page_context(kefu, request, slug)
    if kind not in KINDS or not value.strip():
        extra = {"kinds": KINDS, "asked": None, "error": "请选择类型并填写号码或网址"}
        return _render("help/verify.html", {**ctx, **extra}, status_code=422)
    tenant = ctx["tenant"]
    channels = official_channels(tenant.settings, await active_agent_numbers(kefu, tenant.id))
    found = next((c for c in channels if matches(kind, value.strip(), c)), None)
    asked = {"kind": kind, "value": value.strip(), "official": found is not None,
             "label": found.label if found else ""}  # fmt: skip
    return _render("help/verify.html", {**ctx, "kinds": KINDS, "asked": asked})
