"""The tenant's settings (admins and platform tokens): read, and change with validation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from kefu.actions.tenant_settings import do_update_tenant_settings, tenant_settings_of
from kefu.domain.tenant_settings import TenantSettings
from kefu.web.api.schemas import ERROR_RESPONSES
from kefu.web.deps import ActorDep, KefuDep

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["tenant"])


@router.get("/tenant/settings")
async def get_tenant_settings(kefu: KefuDep, actor: ActorDep) -> TenantSettings:
    """Every setting with its current value (defaults included)."""
    return await tenant_settings_of(kefu, actor)


@router.patch("/tenant/settings")
async def patch_tenant_settings(
    kefu: KefuDep,
    actor: ActorDep,
    changes: dict[str, Any] = Body(
        description="Top-level keys to replace (null resets a key to its default). "
        "The merged settings are validated; on 422 nothing is stored.",
        examples=[{"reopen_days": 14, "sla_policy": {"message_first_response_minutes": 20}}],
    ),
) -> TenantSettings:
    return await do_update_tenant_settings(kefu, actor, changes)
