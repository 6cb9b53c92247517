"""Server-side SVG charts for /reports and /status: no script, no build step, CSP-clean
(presentation attributes only). Every value is escaped; every chart has a <title>."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from kefu.web.report_view import WEEKDAYS_ZH, duration_zh

CELL_W, CELL_H, LEFT, TOP = 26, 22, 40, 18


def _shade(value: float, peak: float) -> str:
    """A blue from light (few) to dark (many)."""
    share = 0.0 if peak <= 0 else min(1.0, value / peak)
    light, dark = (234, 242, 255), (29, 78, 216)
    r, g, b = (round(a + (d - a) * share) for a, d in zip(light, dark, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    grid: Sequence[Sequence[float | None]], *, title: str, unit: str, testid: str
) -> Markup:
    """weekday (rows, Monday first) x hour (columns) in the tenant's zone."""
    peak = max((v for row in grid for v in row if v is not None), default=0.0)
    width, height = LEFT + 24 * CELL_W, TOP + 7 * CELL_H + 4
    parts = [
        f'<svg class="chart heatmap" data-testid="{testid}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for h in range(0, 24, 3):
        parts.append(
            f'<text x="{LEFT + h * CELL_W + 2}" y="12" font-size="10" fill="#555">{h:02d}时</text>'
        )
    for d, row in enumerate(grid):
        y = TOP + d * CELL_H
        parts.append(f'<text x="0" y="{y + 15}" font-size="11" fill="#333">{WEEKDAYS_ZH[d]}</text>')
        for h, value in enumerate(row):
            x = LEFT + h * CELL_W
            shown = (
                "—"
                if value is None
                else (duration_zh(value) if unit == "seconds" else f"{value:g}")
            )
            data = "" if value is None else value
            fill = "#f4f4f5" if value is None else _shade(value, peak)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{CELL_W - 2}" height="{CELL_H - 2}" rx="3" '
                f'fill="{fill}" data-day="{d}" data-hour="{h}" data-value="{data}">'
                f"<title>{WEEKDAYS_ZH[d]} {h:02d}:00–{h:02d}:59 · {escape(shown)}</title></rect>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(items: Sequence[tuple[str, float]], *, title: str, testid: str) -> Markup:
    """Horizontal bars with their label and count (conversations by status, reasons)."""
    rows = list(items)
    peak = max((v for _, v in rows), default=0.0)
    bar_w, row_h, label_w = 260, 24, 150
    height = max(1, len(rows)) * row_h + 4
    parts = [
        f'<svg class="chart bars" data-testid="{testid}" '
        f'viewBox="0 0 {label_w + bar_w + 50} {height}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (name, value) in enumerate(rows):
        y = i * row_h
        w = 0 if peak <= 0 else max(2, round(bar_w * value / peak))
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="12" fill="#333">{escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row_h - 8}" rx="3" '
            'fill="#2563eb"/>'
            f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="12" fill="#111">{value:g}</text>'
        )
    if not rows:
        parts.append('<text x="0" y="16" font-size="12" fill="#777">暂无数据</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
