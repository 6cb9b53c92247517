"""Is a QQ / WeChat id / phone / site / 工号 one of the tenant's official channels?

Sub-domains of an official domain count (``m.kameng.com``); look-alikes do not
(``kameng.com.evil.xyz``). Numbers compare by digits only (``400-820-1234`` =
``4008201234``). Every named contact gets its own verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kefu.nlu.entities import Entity
from kefu.nlu.replies import say

__all__ = ["CHANNEL_KINDS", "OfficialChannel", "channel_verdicts", "named_contacts"]


@dataclass(frozen=True, slots=True)
class OfficialChannel:
    """One official contact point of a tenant. kind: qq, wechat, phone, website, agent_id."""

    kind: str
    value: str
    label: str = ""


CHANNEL_KINDS = {
    "qq": {"zh": "QQ", "en": "QQ"},
    "wechat": {"zh": "微信号", "en": "WeChat"},
    "phone": {"zh": "电话", "en": "Phone"},
    "website": {"zh": "网站", "en": "Website"},
    "agent_id": {"zh": "工号", "en": "Agent no."},
}


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _site(value: str) -> str:
    v = value.lower().strip()
    v = re.sub(r"^https?://", "", v).split("/", 1)[0].split(":", 1)[0]
    return v[4:] if v.startswith("www.") else v


def matches(kind: str, value: str, official: OfficialChannel) -> bool:
    if official.kind != kind:
        return False
    if kind in ("qq", "phone", "agent_id"):
        return _digits(value) == _digits(official.value) != ""
    if kind == "website":
        mine, theirs = _site(value), _site(official.value)
        return mine == theirs or mine.endswith("." + theirs)
    return value.strip().lower() == official.value.strip().lower()


def named_contacts(entities: tuple[Entity, ...]) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for e in entities:
        if e.kind in CHANNEL_KINDS:
            seen.setdefault((e.kind, e.value), None)
    return list(seen)


def channel_verdicts(
    entities: tuple[Entity, ...], channels: tuple[OfficialChannel, ...], lang: str
) -> str:
    """One verdict per named contact; with none named, ask for it and list ours."""
    named = named_contacts(entities)
    if not named:
        head = say("channel_ask", lang)
        listing = "、".join(
            f"{CHANNEL_KINDS.get(c.kind, {}).get(lang, c.kind)} {c.value}" for c in channels[:6]
        )
        if listing:
            head += say("channel_list", lang, listing=listing)
        return head
    lines: list[str] = []
    for kind, value in named:
        official = next((c for c in channels if matches(kind, value, c)), None)
        label = CHANNEL_KINDS[kind][lang if lang in ("zh", "en") else "zh"]
        if official is not None:
            extra = ""
            if official.label:
                extra = f"（{official.label}）" if lang == "zh" else f" ({official.label})"
            lines.append(say("channel_official", lang, kind=label, value=value, label=extra))
        else:
            lines.append(say("channel_fake", lang, kind=label, value=value))
    return "".join(lines)
