"""Marketplace callbacks (signed / secret URL), the order refresh and the card-code
reveal (docs/orders.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from kefu.actions import card_codes, card_codes_mail, order_sync
from kefu.web.api.schemas import ERROR_RESPONSES, KeyPath, OrderPublic
from kefu.web.deps import ActorDep, KefuDep

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
MAX_HOOK_BYTES = 256 * 1024

Slug = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Kind = Annotated[str, Path(pattern=r"^(kefu_api|dujiao_next)$")]


class HookAccepted(BaseModel):
    ok: bool = True
    applied: int


@router.post("/hooks/orders/{tenant_slug}/{kind}", tags=["orders"])
async def order_callback(
    tenant_slug: Slug, kind: Kind, request: Request, kefu: KefuDep
) -> HookAccepted:
    """A marketplace pushes an order event, signed with the tenant's order-source secret.
    401 when the signature, key or clock does not hold; nothing is written then."""
    body = await request.body()
    if len(body) > MAX_HOOK_BYTES:
        raise order_sync.HookTooLarge()
    applied = await order_sync.do_receive_order_webhook(
        kefu, tenant_slug, kind, dict(request.headers), request.url.path, body
    )
    return HookAccepted(applied=applied)


@router.post("/hooks/orders/{tenant_slug}/dujiaoka/{hook_token}", tags=["orders"])
async def dujiaoka_hook(
    tenant_slug: Slug,
    hook_token: Annotated[str, Path(min_length=1, max_length=200)],
    request: Request,
    kefu: KefuDep,
) -> HookAccepted:
    """dujiaoka's unsigned api_hook: the secret token in the URL is the credential."""
    body = await request.body()
    if len(body) > MAX_HOOK_BYTES:
        raise order_sync.HookTooLarge()
    applied = await order_sync.do_receive_order_webhook(
        kefu, tenant_slug, "dujiaoka", dict(request.headers), request.url.path, body
    )
    return HookAccepted(applied=applied)


@router.post("/orders/{order_no}/refresh", tags=["orders"])
async def refresh_order(order_no: KeyPath, kefu: KefuDep, actor: ActorDep) -> OrderPublic:
    """Ask the marketplace for the order now (staff, machine tokens)."""
    return OrderPublic.build(await order_sync.do_refresh_order(kefu, actor, order_no))


class RevealBody(BaseModel):
    conversation_id: Annotated[str, Field(min_length=1, max_length=64)]


class RevealedCodes(BaseModel):
    order_no: str
    codes: list[str]


@router.post("/orders/{order_no}/card-codes/reveal", tags=["orders"])
async def reveal_card_codes(
    order_no: KeyPath, body: RevealBody, response: Response, kefu: KefuDep, actor: ActorDep
) -> RevealedCodes:
    """An agent shows an order's card codes for a conversation: read from the
    marketplace, logged on the timeline (internal) and in the audit log, 20 an hour."""
    codes = await card_codes.do_reveal_card_codes(kefu, actor, body.conversation_id, order_no)
    response.headers["Cache-Control"] = "no-store"
    return RevealedCodes(order_no=order_no, codes=list(codes))


class ResentTo(BaseModel):
    order_no: str
    sent_to: str  # masked


@router.post("/orders/{order_no}/card-codes/resend", tags=["orders"])
async def resend_card_codes(
    order_no: KeyPath, body: RevealBody, kefu: KefuDep, actor: ActorDep
) -> ResentTo:
    """Mail the order's codes again to the order's own contact (the customer for their
    own order, or staff); 3 per order per day."""
    to = await card_codes_mail.do_resend_card_codes(kefu, actor, body.conversation_id, order_no)
    return ResentTo(order_no=order_no, sent_to=to)
