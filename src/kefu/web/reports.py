"""/reports: the supervisors' report page (server-rendered, SVG charts, CSV link).
The figures are the same objects as /api/v1/reports/summary (web/report_view.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kefu.actions.access import require_supervisor
from kefu.domain.vocabulary.labels import TABLES, label
from kefu.queries.reports.choices import filter_choices
from kefu.queries.reports.report import make_scope, report_for
from kefu.web.api.reports import RequestDep
from kefu.web.console import signed_in, to_login
from kefu.web.deps import KefuDep
from kefu.web.report_charts import bars, heatmap
from kefu.web.report_view import duration_zh, figures, pct
from kefu.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, kefu: KefuDep, asked: RequestDep) -> Response:
    me = await signed_in(request, kefu)
    if me is None:
        return to_login(request)
    require_supervisor(me.actor)
    scope = await make_scope(kefu, me.actor, asked)
    report = await report_for(kefu, me.actor, scope)
    f = report.figures
    query = {k: v for k, v in request.query_params.items() if v}
    waits = [[f.mean_wait(d, h) for h in range(24)] for d in range(7)]
    status_bars = [(label("status", code), float(n)) for code, n in sorted(f.by_status.items())]
    reason_bars = [
        (label("reason", code), float(n))
        for code, n in sorted(report.bot.handoff_reasons.items(), key=lambda kv: -kv[1])
    ]
    return templates.TemplateResponse(
        request,
        "reports/report.html",
        {
            "me": me.agent,
            "report": report,
            "scope": scope,
            "f": f,
            "figures": {x.code: x for x in figures(report)},
            "choices": await filter_choices(kefu, me.actor.tenant_id),
            "channels": TABLES["channel"],
            "tiers": TABLES["tier"],
            "csv_url": "/api/v1/reports/summary.csv" + ("?" + urlencode(query) if query else ""),
            "arrivals_svg": heatmap(
                f.arrivals,
                title="到达量：星期 × 小时（北京时间）",
                unit="count",
                testid="chart-arrivals",
            ),
            "waits_svg": heatmap(
                waits,
                title="平均等待：星期 × 小时（北京时间）",
                unit="seconds",
                testid="chart-waits",
            ),
            "status_svg": bars(status_bars, title="会话状态", testid="chart-status"),
            "reasons_svg": bars(reason_bars, title="转人工原因", testid="chart-reasons"),
            "duration_zh": duration_zh,
            "pct": pct,
        },
    )
