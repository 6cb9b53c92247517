"""The report as people and machines read it: one list of figures (code, value, unit)
behind the JSON, the CSV and the page, with Chinese labels from the vocabulary."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from kefu.domain.vocabulary.labels import label
from kefu.queries.reports.report import Report

Unit = Literal["seconds", "rate", "count"]
WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class Figure:
    code: str
    value: float | None
    unit: Unit

    @property
    def label_zh(self) -> str:
        return label("report_metric", self.code)

    @property
    def label_en(self) -> str:
        return label("report_metric", self.code, "en")

    @property
    def text(self) -> str:
        return figure_text(self.value, self.unit)


def duration_zh(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} 秒"
    if s < 3600:
        return f"{s // 60} 分 {s % 60} 秒" if s % 60 else f"{s // 60} 分钟"
    hours, rest = divmod(s, 3600)
    return f"{hours} 小时 {rest // 60} 分" if rest // 60 else f"{hours} 小时"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def figure_text(value: float | None, unit: Unit) -> str:
    if unit == "seconds":
        return duration_zh(value)
    if unit == "rate":
        return pct(value)
    return "—" if value is None else f"{int(value)}"


def figures(report: Report) -> list[Figure]:
    f = report.figures
    b = report.bot
    return [
        Figure("conversations", f.conversations, "count"),
        Figure("first_response_median", f.first_response.median, "seconds"),
        Figure("first_response_p90", f.first_response.p90, "seconds"),
        Figure("first_response_business_median", f.first_response_business.median, "seconds"),
        Figure("first_response_business_p90", f.first_response_business.p90, "seconds"),
        Figure("unanswered", f.unanswered, "count"),
        Figure("resolution_median", f.resolution.median, "seconds"),
        Figure("resolution_p90", f.resolution.p90, "seconds"),
        Figure("full_resolution_median", f.full_resolution.median, "seconds"),
        Figure("reopen_rate", f.reopen_rate, "rate"),
        Figure("reached_queue", f.reached_queue, "count"),
        Figure("abandoned", f.abandoned, "count"),
        Figure("missed", f.missed, "count"),
        Figure("abandon_wait_median", f.abandon_wait.median, "seconds"),
        Figure("with_bot", f.with_bot, "count"),
        Figure("containment", f.containment, "rate"),
        Figure("handoff_rate", f.handoff_rate, "rate"),
        Figure("flagged", b.flagged, "count"),
        Figure("confident_wrong", b.confident_wrong, "count"),
        Figure("breaches", f.breaches, "count"),
        Figure("escalations", f.escalations, "count"),
        Figure("rated", f.rated, "count"),
        Figure("csat", f.csat, "rate"),
        Figure("round_3min", report.round_rate, "rate"),
        Figure("answer_30s", f.answer_30s, "rate"),
    ]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def agent_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    for a in report.figures.per_agent:
        name, agent_no = report.agents.get(a.agent_id, ("", ""))
        rows.append(
            {
                "agent_id": a.agent_id,
                "name": name,
                "agent_no": agent_no,
                "conversations": a.conversations,
                "rated": a.rated,
                "satisfied": a.satisfied,
                "csat": a.csat,
                "first_response_median_seconds": a.first_response.median,
            }
        )
    return rows


def report_json(report: Report) -> dict[str, Any]:
    s, f = report.scope, report.figures
    return {
        "range": {
            "first_day": s.first_day.isoformat(),
            "last_day": s.last_day.isoformat(),
            "timezone": str(s.zone),
        },
        "filters": s.filters(),
        "generated_at": report.generated_at.isoformat().replace("+00:00", "Z"),
        "figures": {x.code: x.value for x in figures(report)},
        "units": {x.code: x.unit for x in figures(report)},
        "by_status": f.by_status,
        "by_channel": f.by_channel,
        "handoff_reasons": report.bot.handoff_reasons,
        "confident_wrong": [
            {"number": w.number, "intent": w.intent, "confidence": w.confidence}
            for w in report.bot.examples
        ],
        "sla_attainment": [
            {
                "target": a.target,
                "minutes": a.minutes,
                "met": a.met,
                "missed": a.missed,
                "rate": a.rate,
            }
            for a in f.attainment
        ],
        "rounds": {"rounds": report.rounds.rounds, "within_3min": report.rounds.within_target},
        "answer_30s": {"chats": f.answer_30s_chats, "within_30s": f.answer_30s_met},
        "agents": agent_rows(report),
        "comments": [
            {"number": c.number, "score": c.score, "comment": c.comment, "at": _iso(c.at)}
            for c in report.comments
        ],
        "heatmap": {
            "weekdays": "0 = Monday, tenant time zone",
            "arrivals": f.arrivals,
            "mean_wait_seconds": [[f.mean_wait(d, h) for h in range(24)] for d in range(7)],
        },
    }


def report_csv(report: Report) -> str:
    """Figures, per-agent rows and the heatmap, UTF-8 with a BOM (Excel opens it)."""
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out)
    s = report.scope
    w.writerow(["区间 range", s.first_day.isoformat(), s.last_day.isoformat(), str(s.zone)])
    w.writerow(["指标", "metric", "code", "value", "unit", "显示"])
    for x in figures(report):
        w.writerow(
            [x.label_zh, x.label_en, x.code, "" if x.value is None else x.value, x.unit, x.text]
        )
    w.writerow([])
    w.writerow(["客服", "工号", "会话数", "评价数", "满意数", "满意度", "首次响应中位数(秒)"])
    for a in agent_rows(report):
        w.writerow(
            [
                a["name"],
                a["agent_no"],
                a["conversations"],
                a["rated"],
                a["satisfied"],
                "" if a["csat"] is None else round(a["csat"], 4),
                ""
                if a["first_response_median_seconds"] is None
                else a["first_response_median_seconds"],
            ]
        )
    w.writerow([])
    w.writerow(["到达量", *[f"{h:02d}时" for h in range(24)]])
    for d in range(7):
        w.writerow([WEEKDAYS_ZH[d], *report.figures.arrivals[d]])
    return out.getvalue()
