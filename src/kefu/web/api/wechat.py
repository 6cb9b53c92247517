"""WeChat endpoints: the callbacks WeChat calls (per tenant and app; authenticated by
their signatures, answered at once, worked in the background through the outbox), the
setup for admins and the reply window for the console (docs/wechat.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Body, Request
from fastapi.responses import PlainTextResponse

from kefu.actions.outbox import run_jobs_now
from kefu.actions.tenant_settings import tenant_settings_of
from kefu.actions.wechat_config import do_configure_wechat
from kefu.actions.wechat_kf import check_kf_url, do_kf_doorbell
from kefu.actions.wechat_oa import check_oa_url, do_oa_callback
from kefu.queries.wechat_view import reply_window, wechat_setup
from kefu.web.api.schemas import ERROR_RESPONSES
from kefu.web.deps import ActorDep, KefuDep

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["wechat"])


def _query(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items()}


@router.get("/wechat/{tenant}/wecom/{corp_id}", response_class=PlainTextResponse)
async def wecom_verify(tenant: str, corp_id: str, request: Request, kefu: KefuDep) -> str:
    """WeCom's URL check: answers the decrypted echostr."""
    return await check_kf_url(kefu, tenant, corp_id, _query(request))


@router.post("/wechat/{tenant}/wecom/{corp_id}", response_class=PlainTextResponse)
async def wecom_callback(
    tenant: str, corp_id: str, request: Request, kefu: KefuDep, background: BackgroundTasks
) -> str:
    """The 微信客服 doorbell: checked, acknowledged, pulled in the background."""
    jobs = await do_kf_doorbell(kefu, tenant, corp_id, _query(request), await request.body())
    background.add_task(run_jobs_now, kefu, jobs)
    return "success"


@router.get("/wechat/{tenant}/oa/{app_id}", response_class=PlainTextResponse)
async def oa_verify(tenant: str, app_id: str, request: Request, kefu: KefuDep) -> str:
    return await check_oa_url(kefu, tenant, app_id, _query(request))


@router.post("/wechat/{tenant}/oa/{app_id}", response_class=PlainTextResponse)
async def oa_callback(
    tenant: str, app_id: str, request: Request, kefu: KefuDep, background: BackgroundTasks
) -> str:
    """An Official Account push: "success" at once (WeChat waits 5 s, then retries)."""
    jobs = await do_oa_callback(kefu, tenant, app_id, _query(request), await request.body())
    background.add_task(run_jobs_now, kefu, jobs)
    return "success"


@router.get("/wechat/setup")
async def get_wechat_setup(kefu: KefuDep, actor: ActorDep) -> dict[str, Any]:
    """The configured WeChat apps and the callback URLs to paste into WeChat (admins)."""
    return await wechat_setup(kefu, actor)


@router.put("/wechat/setup")
async def put_wechat_setup(
    kefu: KefuDep,
    actor: ActorDep,
    changes: dict[str, Any] = Body(
        description="wecom and/or official_accounts with plaintext secrets (sealed before "
        "they are stored; left out = unchanged). A new aes_key keeps the old one as "
        "previous_aes_key.",
    ),
) -> dict[str, Any]:
    current = await tenant_settings_of(kefu, actor)
    await do_configure_wechat(kefu, actor, current, changes)
    return await wechat_setup(kefu, actor)


@router.get("/conversations/{conversation_id}/wechat-window")
async def get_reply_window(conversation_id: str, kefu: KefuDep, actor: ActorDep) -> dict[str, Any]:
    """The WeChat reply window (48 h after the user's last message, 5 messages)."""
    return await reply_window(kefu, actor, conversation_id)
