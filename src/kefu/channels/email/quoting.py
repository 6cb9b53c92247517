"""Cut quoted reply history so only what the customer just wrote remains."""

from __future__ import annotations

import re

# A line that starts the quoted original in clients that do not prefix with ">".
_SEPARATOR_RES = (
    re.compile(r"^\s*-{2,}\s*原始邮件\s*-{2,}\s*$"),
    re.compile(r"^\s*-{2,}\s*Original( Message)?\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(转发邮件信息|Forwarded message)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook puts a rule above the quoted header block
)
# "在 2026年11月22日 10:30，客服 <kefu@x> 写道：" / "x 于2026年11月22日周日 10:30写道："
_WROTE_ZH_RE = re.compile(r"写道\s*[:：]\s*$")
_WROTE_EN_RE = re.compile(r"^\s*On\s.{1,300}\bwrote\s*:\s*$", re.IGNORECASE | re.DOTALL)
# Outlook / Foxmail quoted header block: "发件人: ..." followed by "发送时间: ..." etc.
_HEADER_FROM_RE = re.compile(r"^\s*\*?(发件人|From)\s*\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT_RE = re.compile(
    r"^\s*\*?(发送时间|时间|日期|收件人|主题|Date|Sent|To|Subject)\s*\*?\s*[:：]", re.IGNORECASE
)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _separator_length(lines: list[str], i: int) -> int:
    """How many lines starting at i form a quote separator (0 if none)."""
    line = lines[i]
    if any(rx.match(line) for rx in _SEPARATOR_RES):
        return 1
    if _WROTE_ZH_RE.search(line) or _WROTE_EN_RE.match(line):
        return 1
    if i + 1 < len(lines):
        joined = f"{line.rstrip()} {lines[i + 1].strip()}"
        # Gmail and others wrap "On ... \n wrote:" over two lines.
        if line.strip().startswith(("On ", "在")) and (
            _WROTE_ZH_RE.search(joined) or _WROTE_EN_RE.match(joined)
        ):
            return 2
    if _HEADER_FROM_RE.match(line):
        following = lines[i + 1 : i + 4]
        if any(_HEADER_NEXT_RE.match(other) for other in following):
            return 1
    return 0


def strip_quoted_reply(text: str) -> str:
    """The new text of a reply, without the quoted history.

    Everything from a separator ("-----原始邮件-----", "在 ... 写道：", "On ... wrote:",
    an Outlook header block) to the end is dropped when the history is not
    ">"-prefixed. When it is, only the separator and the ">" lines go, so
    answers written between quoted lines (bottom posting) are kept.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        size = _separator_length(lines, i)
        if size:
            rest = [line for line in lines[i + size :] if line.strip()]
            if rest and _is_quoted(rest[0]):
                i += size
                continue
            break
        if not _is_quoted(lines[i]):
            kept.append(lines[i])
        i += 1
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(line.rstrip() for line in kept)
