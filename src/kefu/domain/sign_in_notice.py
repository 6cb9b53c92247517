"""What the owner of a staff account is told about wrong passwords tried on it: at the
next sign-in (console banner, login API) and by e-mail. Pure: no I/O.

Times are shown in the tenant's zone with the date (and the year: a notice can reach
back a month), addresses as recorded by the client-address rule (web/client_address.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu.clock import ensure_aware


@dataclass(frozen=True)
class FailedSignIns:
    count: int
    clients: list[str]
    first_at: datetime
    last_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "clients": list(self.clients),
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FailedSignIns:
        return cls(
            count=int(data.get("count", 0)),
            clients=[str(c) for c in data.get("clients", [])],
            first_at=datetime.fromisoformat(str(data["first_at"])),
            last_at=datetime.fromisoformat(str(data["last_at"])),
        )


def when_text(when: datetime, zone: ZoneInfo) -> str:
    local = ensure_aware(when).astimezone(zone)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def notice_zh(failed: FailedSignIns, zone: ZoneInfo) -> str:
    where = "、".join(failed.clients) or "未知地址"
    span = when_text(failed.last_at, zone)
    if failed.count > 1:
        span = f"{when_text(failed.first_at, zone)} 至 {span}"
    return (
        f"最近有 {failed.count} 次错误密码尝试，来自 IP {where}，时间 {span}"
        f"（{zone.key}）。如果不是您本人，请立即修改密码。"
    )


def notice_en(failed: FailedSignIns, zone: ZoneInfo) -> str:
    where = ", ".join(failed.clients) or "unknown addresses"
    last = ensure_aware(failed.last_at).astimezone(zone)
    return (
        f"{failed.count} wrong password attempt(s) recently, from IP {where}, last at "
        f"{last:%Y-%m-%d %H:%M} ({zone.key}). If it was not you, change your password now."
    )
