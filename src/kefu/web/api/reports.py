"""/api/v1/reports: the supervisors' report as JSON and CSV (docs/reports.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from kefu.queries.reports.report import ReportRequest, make_scope, report_for
from kefu.web.api.schemas import ERROR_RESPONSES
from kefu.web.deps import ActorDep, KefuDep
from kefu.web.report_view import report_csv, report_json

router = APIRouter(prefix="/api/v1/reports", responses=ERROR_RESPONSES, tags=["reports"])

Filter = Annotated[str | None, Query(max_length=64)]


def report_request(
    start: Annotated[
        date | None, Query(description="first day (tenant zone), default: 29 days before end")
    ] = None,
    end: Annotated[date | None, Query(description="last day, included (default: today)")] = None,
    department: Filter = None,
    agent: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    channel: Filter = None,
    category: Filter = None,
    tier: Filter = None,
    merchant: Filter = None,
) -> ReportRequest:
    return ReportRequest(start, end, department, agent, channel, category, tier, merchant)


RequestDep = Annotated[ReportRequest, Depends(report_request)]


@router.get("/summary")
async def report_summary(kefu: KefuDep, actor: ActorDep, asked: RequestDep) -> dict[str, Any]:
    """报表: every figure of docs/reports.md for a range and filters (supervisor, admin)."""
    scope = await make_scope(kefu, actor, asked)
    return report_json(await report_for(kefu, actor, scope))


@router.get("/summary.csv", response_class=Response)
async def report_summary_csv(kefu: KefuDep, actor: ActorDep, asked: RequestDep) -> Response:
    """The same report as CSV (UTF-8 with BOM)."""
    scope = await make_scope(kefu, actor, asked)
    report = await report_for(kefu, actor, scope)
    name = f"kefu-report-{scope.first_day.isoformat()}-{scope.last_day.isoformat()}.csv"
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
