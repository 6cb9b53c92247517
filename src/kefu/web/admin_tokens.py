"""/admin/tokens: API tokens (list, create, revoke) for the marketplace's servers.

Admins only (actions/auth.py refuses anyone else, as the JSON API does). A new token's
plaintext is shown once, on the page that answers the create form (never in a redirect
URL, never again); only its hash is stored. Creation and revocation are audited."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.actions import auth
from kefu.domain.vocabulary.labels import TABLES
from kefu.errors import Forbidden, InvalidInput, KefuError
from kefu.queries.admin_view import can_edit
from kefu.web.admin import _page, _signed_admin_reader
from kefu.web.console import Signed
from kefu.web.deps import KefuDep

router = APIRouter(prefix="/admin", include_in_schema=False)


async def _context(kefu: KefuDep, me: Signed) -> dict[str, Any]:
    tokens = await auth.list_api_tokens(kefu, me.actor) if can_edit(me.actor) else []
    return {"tokens": tokens, "scopes": TABLES["token_scope"], "created": None}


@router.get("/tokens", response_class=HTMLResponse)
async def tokens_page(request: Request, kefu: KefuDep) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    return await _page(request, kefu, me, "tokens", await _context(kefu, me))


@router.post("/tokens", response_class=HTMLResponse)
async def tokens_save(request: Request, kefu: KefuDep) -> Response:
    me = await _signed_admin_reader(request, kefu)
    if not isinstance(me, Signed):
        return me
    form = await request.form()
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), me.csrf_token.encode()):
        err = Forbidden("页面已过期，请刷新后重试", "missing or wrong CSRF token")
        err.code = "csrf_failed"
        raise err
    if not can_edit(me.actor):
        raise Forbidden("只有管理员可以管理接口令牌", "only an admin may manage API tokens")
    try:
        if form.get("action") == "revoke":
            try:
                token_id = int(str(form.get("token_id", "")))
            except ValueError:
                raise InvalidInput("invalid_token_id", "令牌不存在", "no such token") from None
            await auth.do_revoke_api_token(kefu, me.actor, token_id)
            return RedirectResponse("/admin/tokens?saved=1", status_code=303)
        name = str(form.get("name", "")).strip()
        if not name:
            raise InvalidInput("invalid_token_name", "请填写令牌名称", "a token needs a name")
        scopes = [str(s) for s in form.getlist("scopes")]
        created = await auth.do_create_api_token(kefu, me.actor, name[:100], scopes)
    except KefuError as err:
        if err.status_code != 422:
            raise
        extra = {**await _context(kefu, me), "error": err.message_zh}
        return await _page(request, kefu, me, "tokens", extra, status_code=422)
    extra = {**await _context(kefu, me), "created": created}
    return await _page(request, kefu, me, "tokens", extra, status_code=201)
