"""The public service-commitment page /status/{tenant} and its JSON
/api/v1/public/{tenant}/commitments: promises beside measured figures, the queue now,
the best hours, official channels with the anti-scam rule, announcements. No sign-in,
no personal data, cached (queries/reports/commitments.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from kefu.domain.vocabulary.labels import label
from kefu.queries.reports.commitments import CACHE_SECONDS, CommitmentCache, Commitments, Promise
from kefu.queries.sla_view import local_text
from kefu.web.api.schemas import ERROR_RESPONSES, KeyPath
from kefu.web.deps import KefuDep
from kefu.web.helpcenter import SAFETY_RULE
from kefu.web.report_view import duration_zh, pct
from kefu.web.templating import templates

page_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/public", responses=ERROR_RESPONSES, tags=["public"])
CACHE_HEADERS = {"Cache-Control": f"public, max-age={CACHE_SECONDS}"}


def _cache(request: Request) -> CommitmentCache:
    cache = getattr(request.app.state, "commitment_cache", None)
    if cache is None:
        cache = request.app.state.commitment_cache = CommitmentCache()
    return cache


def promise_zh(p: Promise) -> str:
    verb = "内响应" if p.kind.endswith("first_response") else "内完成"
    if p.kind == "callback_first_response":
        verb = "内回电"
    if p.kind == "refund":
        verb = "内退款到账"
    return f"承诺 {duration_zh(p.minutes * 60)}{verb}"


def measured_zh(p: Promise) -> list[str]:
    out = []
    for m in p.measured:
        if not m.decided:
            out.append(f"近 {m.days} 天暂无数据")
            continue
        text = f"近 {m.days} 天 {pct(m.rate)} 做到（{m.kept}/{m.decided}）"
        if m.median_seconds is not None:
            text += f"，中位 {duration_zh(m.median_seconds)}"
        out.append(text)
    return out or ["尚未测量"]


def commitments_json(c: Commitments) -> dict[str, Any]:
    return {
        "tenant": c.slug,
        "timezone": str(c.zone),
        "name": c.name,
        "generated_at": c.generated_at.isoformat().replace("+00:00", "Z"),
        "promises": [
            {
                "kind": p.kind,
                "label": label("sla_target", p.kind),
                "minutes": p.minutes,
                "text": promise_zh(p),
                "measured": [
                    {
                        "days": m.days,
                        "kept": m.kept,
                        "decided": m.decided,
                        "rate": m.rate,
                        "median_seconds": m.median_seconds,
                    }
                    for m in p.measured
                ],
                "measured_text": measured_zh(p),
            }
            for p in c.promises
        ],
        "queue": {
            "waiting": c.queue.waiting,
            "online_agents": c.queue.online_agents,
            "expected_wait_seconds": c.queue.expected_wait_seconds,
            "reason": c.queue.reason,
        },
        "best_hours": c.best_hours,
        "busiest_hours": c.busiest_hours,
        "official_channels": c.official_channels,
        "safety_rule": SAFETY_RULE,
        "announcements": [
            {**a, "starts_at": a["starts_at"].isoformat().replace("+00:00", "Z")}
            for a in c.announcements
        ],
    }


@api_router.get("/{tenant}/commitments")
async def public_commitments(tenant: KeyPath, request: Request, kefu: KefuDep) -> JSONResponse:
    """服务承诺: promises and measured figures (7 / 30 days), queue, best hours. Public."""
    c = await _cache(request).get(kefu, tenant)
    return JSONResponse(commitments_json(c), headers=CACHE_HEADERS)


@page_router.get("/status/{tenant}", response_class=HTMLResponse)
async def status_page(tenant: KeyPath, request: Request, kefu: KefuDep) -> Response:
    c = await _cache(request).get(kefu, tenant)
    data = commitments_json(c)
    zone = c.zone
    return templates.TemplateResponse(
        request,
        "status/status.html",
        {
            "c": c,
            "data": data,
            "generated": local_text(c.generated_at, zone),
            "wait_text": duration_zh(c.queue.expected_wait_seconds)
            if c.queue.expected_wait_seconds is not None
            else None,
            "announcement_times": [local_text(a["starts_at"], zone) for a in c.announcements],
        },
        headers=CACHE_HEADERS,
    )
