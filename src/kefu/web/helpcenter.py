"""The public help center, per tenant, server-rendered (Jinja2 + a little HTMX):
home, categories, articles (有用 / 没用), search, the ticket form, tracking."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from kefu.actions import (
    attachments,
    knowledge,
    throttles,
    ticket_form,
    ticket_tracking,
    tracking_codes,
)
from kefu.actions.access import tenant_by_slug
from kefu.actions.announcements import active_announcements
from kefu.actions.context import Kefu
from kefu.actions.escalation import do_request_escalation
from kefu.actions.transcripts import transcript_for
from kefu.domain.tenant_settings import parse_tenant_settings
from kefu.errors import KefuError, NotFound
from kefu.queries.helpcenter import published_articles_by_category
from kefu.queries.ticket_view import load_tracking
from kefu.storage.models import KbArticle
from kefu.web.api.tickets import attachment_of, render_transcript
from kefu.web.client_address import client_address
from kefu.web.deps import KefuDep
from kefu.web.files import attachment_response
from kefu.web.templating import templates

router = APIRouter(prefix="/help", include_in_schema=False)
Slug = Annotated[str, Path(min_length=1, max_length=64)]
Token = Annotated[str, Path(min_length=10, max_length=600)]
SAFETY_RULE = "客服不会索要密码、验证码，也不会要求转账"


async def _page_context(kefu: Kefu, request: Request, slug: str, **extra: Any) -> dict[str, Any]:
    async with kefu.db.read() as session:
        tenant = await tenant_by_slug(session, slug)
        banners = await active_announcements(session, tenant.id, kefu.clock.now())
    return {
        "request": request,
        "tenant": tenant,
        "slug": tenant.slug,
        "channels": parse_tenant_settings(tenant.settings).official_channels,
        "announcements": banners,
        "safety_rule": SAFETY_RULE,
        "categories": ticket_form.CATEGORIES,
        **extra,
    }


def _render(name: str, ctx: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(ctx["request"], name, ctx, status_code=status_code)


@router.get("/{slug}", response_class=HTMLResponse)
async def home(slug: Slug, request: Request, kefu: KefuDep) -> HTMLResponse:
    ctx = await _page_context(kefu, request, slug)
    grouped = await published_articles_by_category(kefu, ctx["tenant"])
    popular = sorted((a for rows in grouped.values() for a in rows), key=lambda a: -a.views)[:6]
    return _render("help/home.html", {**ctx, "grouped": grouped, "popular": popular})


@router.get("/{slug}/c/{category}", response_class=HTMLResponse)
async def category_page(slug: Slug, category: str, request: Request, kefu: KefuDep) -> HTMLResponse:
    ctx = await _page_context(kefu, request, slug)
    grouped = await published_articles_by_category(kefu, ctx["tenant"])
    if category not in grouped:
        raise NotFound("category", "分类")
    return _render(
        "help/category.html",
        {**ctx, "category": category, "articles": grouped[category], "grouped": grouped},
    )


@router.get("/{slug}/a/{article}", response_class=HTMLResponse)
async def article_page(
    slug: Slug,
    article: str,
    request: Request,
    kefu: KefuDep,
    voted: Annotated[str | None, Query(max_length=8)] = None,
) -> HTMLResponse:
    ctx = await _page_context(kefu, request, slug)
    row = await knowledge.do_read_article(kefu, slug, article)
    return _render("help/article.html", {**ctx, "article": row, "voted": voted})


@router.post("/{slug}/a/{article}/vote")
async def article_vote(slug: Slug, article: str, request: Request, kefu: KefuDep) -> Response:
    form = await request.form()
    helpful = str(form.get("helpful", "")) == "1"
    await throttles.spend_anonymous(kefu, "vote", slug, client_address(request))
    row = await knowledge.do_vote_article(kefu, slug, article, helpful)
    if request.headers.get("hx-request"):
        return HTMLResponse(
            '<p class="vote-thanks" data-testid="vote-thanks">谢谢反馈！'
            + ("" if helpful else f' 没解决？<a href="/help/{slug}/ticket">提交工单</a>')
            + "</p>"
        )
    return RedirectResponse(f"/help/{slug}/a/{row.slug}?voted={'yes' if helpful else 'no'}", 303)


@router.get("/{slug}/search", response_class=HTMLResponse)
async def search_page(
    slug: Slug,
    request: Request,
    kefu: KefuDep,
    q: Annotated[str, Query(max_length=200)] = "",
    partial: Annotated[int, Query(ge=0, le=1)] = 0,
) -> HTMLResponse:
    hits: list[KbArticle] = []
    if q.strip():
        result = await knowledge.search_articles(kefu, slug, q, limit=8 if partial else 20)
        hits = [result.rows[h.article.id] for h in result.hits if h.article.id in result.rows]
    if partial:
        return templates.TemplateResponse(
            request, "help/_suggestions.html", {"slug": slug, "hits": hits, "q": q.strip()}
        )
    ctx = await _page_context(kefu, request, slug, q=q.strip(), hits=hits)
    return _render("help/search.html", ctx)


# -- ticket form ------------------------------------------------------------------------------


@router.get("/{slug}/ticket", response_class=HTMLResponse)
async def ticket_form_page(
    slug: Slug,
    request: Request,
    kefu: KefuDep,
    category: Annotated[str, Query(max_length=32)] = "",
) -> HTMLResponse:
    form = ticket_form.TicketForm(
        category=category if category in ticket_form.CATEGORY_BY_CODE else ""
    )
    ctx = await _page_context(kefu, request, slug, form=form, errors={})
    return _render("help/ticket_form.html", ctx)


@router.post("/{slug}/ticket", response_class=HTMLResponse)
async def ticket_submit(slug: Slug, request: Request, kefu: KefuDep) -> HTMLResponse:
    await throttles.spend_anonymous(kefu, "ticket", slug, client_address(request))
    data = await request.form()
    form = ticket_form.TicketForm.from_mapping(data)
    files = [
        attachments.UploadedFile(
            f.filename or "file", await f.read(kefu.settings.attachment_max_bytes + 1)
        )
        for f in data.getlist("attachments")
        if not isinstance(f, str)
    ]
    try:
        created = await ticket_form.do_create_ticket(kefu, slug, form, files)
    except ticket_form.TicketFormInvalid as exc:
        ctx = await _page_context(kefu, request, slug, form=form, errors=exc.errors)
        return _render("help/ticket_form.html", ctx, status_code=422)
    ctx = await _page_context(
        kefu,
        request,
        slug,
        created=created,
        link=f"/help/{slug}/t/{created.tracking_token}",
    )
    return _render("help/ticket_done.html", ctx, status_code=201)


# -- tracking ---------------------------------------------------------------------------------


@router.get("/{slug}/track", response_class=HTMLResponse)
async def track_lookup(
    slug: Slug,
    request: Request,
    kefu: KefuDep,
    number: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    ctx = await _page_context(kefu, request, slug, number=number, secret="", error=None)
    return _render("help/track_lookup.html", ctx)


@router.post("/{slug}/track", response_class=HTMLResponse)
async def track_lookup_submit(slug: Slug, request: Request, kefu: KefuDep) -> Response:
    """Step 1: number + last 4 digits -> a code sent to the ticket's contact."""
    form = await request.form()
    number, secret = str(form.get("number", ""))[:40], str(form.get("secret", ""))[:254]
    try:
        sent = await tracking_codes.do_request_tracking_code(
            kefu, slug, number, secret, client_address(request)
        )
    except KefuError as exc:
        ctx = await _page_context(
            kefu, request, slug, number=number, secret=secret, error=exc.message_zh
        )
        return _render("help/track_lookup.html", ctx, status_code=exc.status_code)
    ctx = await _page_context(kefu, request, slug, number=number, secret="", error=None, sent=sent)
    return _render("help/track_lookup.html", ctx)


@router.post("/{slug}/track/code", response_class=HTMLResponse)
async def track_code_submit(slug: Slug, request: Request, kefu: KefuDep) -> Response:
    """Step 2: the code -> the tracking page."""
    form = await request.form()
    challenge, code = str(form.get("challenge", ""))[:2000], str(form.get("code", ""))[:12]
    number = str(form.get("number", ""))[:40]
    try:
        token = await ticket_tracking.do_lookup_ticket(
            kefu, slug, challenge, code, client_address(request)
        )
    except KefuError as exc:
        ctx = await _page_context(
            kefu, request, slug, number=number, secret="", error=exc.message_zh
        )
        return _render("help/track_lookup.html", ctx, status_code=exc.status_code)
    return RedirectResponse(f"/help/{slug}/t/{token}", 303)


async def _tracking_page(
    kefu: Kefu,
    request: Request,
    slug: str,
    token: str,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
    draft: str = "",
) -> HTMLResponse:
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    view = await load_tracking(kefu, access)
    if view.tenant_slug != slug:
        raise NotFound("ticket", "工单")
    ctx = await _page_context(
        kefu,
        request,
        slug,
        v=view,
        token=token,
        error=error,
        notice=notice,
        draft=draft,
        tz=kefu.settings.timezone,
    )
    return _render("help/track.html", ctx, status_code=status_code)


@router.get("/{slug}/t/{token}", response_class=HTMLResponse)
async def track_page(
    slug: Slug,
    token: Token,
    request: Request,
    kefu: KefuDep,
    notice: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    notes = {
        "sent": "已补充，客服会看到您的消息",
        "rated": "感谢您的评价！",
        "escalated": "已申请升级处理，主管将优先跟进",
    }
    return await _tracking_page(kefu, request, slug, token, notice=notes.get(notice))


@router.post("/{slug}/t/{token}/reply", response_class=HTMLResponse)
async def track_reply(slug: Slug, token: Token, request: Request, kefu: KefuDep) -> Response:
    form = await request.form()
    body = str(form.get("body", ""))
    files = [
        attachments.UploadedFile(
            f.filename or "file", await f.read(kefu.settings.attachment_max_bytes + 1)
        )
        for f in form.getlist("attachments")
        if not isinstance(f, str) and f.filename
    ]
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    try:
        reply = await ticket_tracking.do_customer_reply(kefu, access, body, files)
    except KefuError as exc:
        return await _tracking_page(
            kefu,
            request,
            slug,
            token,
            error=exc.message_zh,
            status_code=exc.status_code,
            draft=body,
        )
    if reply.follow_up:
        token = ticket_tracking.tracking_token(kefu, access.tenant_id, reply.public_id)
    return RedirectResponse(f"/help/{slug}/t/{token}?notice=sent", 303)


@router.post("/{slug}/t/{token}/rate", response_class=HTMLResponse)
async def track_rate(slug: Slug, token: Token, request: Request, kefu: KefuDep) -> Response:
    form = await request.form()
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    try:
        score = int(str(form.get("score", "0")))
        tags = [str(t)[:20] for t in form.getlist("tags")][:10]
        await ticket_tracking.do_rate_ticket(
            kefu, access, score, tags, str(form.get("comment", ""))[:1000]
        )
    except (KefuError, ValueError) as exc:
        msg = exc.message_zh if isinstance(exc, KefuError) else "请选择 1–5 星"
        return await _tracking_page(kefu, request, slug, token, error=msg, status_code=422)
    return RedirectResponse(f"/help/{slug}/t/{token}?notice=rated", 303)


@router.post("/{slug}/t/{token}/escalate", response_class=HTMLResponse)
async def track_escalate(slug: Slug, token: Token, request: Request, kefu: KefuDep) -> Response:
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    try:
        await do_request_escalation(kefu, access.actor, access.public_id, "tracking_page")
    except KefuError as exc:
        return await _tracking_page(
            kefu, request, slug, token, error=exc.message_zh, status_code=exc.status_code
        )
    return RedirectResponse(f"/help/{slug}/t/{token}?notice=escalated", 303)


@router.get("/{slug}/t/{token}/transcript", response_class=HTMLResponse)
async def track_transcript(
    slug: Slug, token: Token, request: Request, kefu: KefuDep
) -> HTMLResponse:
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    return render_transcript(request, await transcript_for(kefu, access.actor, access.public_id))


@router.get("/{slug}/t/{token}/files/{attachment_id}")
async def track_file(slug: Slug, token: Token, attachment_id: str, kefu: KefuDep) -> FileResponse:
    access = await ticket_tracking.access_by_tracking_token(kefu, token)
    att = await attachment_of(kefu, access, attachment_id[:32])
    return attachment_response(kefu, att)


def search_link(slug: str, q: str) -> str:
    return f"/help/{slug}/search?q={quote(q)}"
