"""Recognise mail written by machines, so we never answer it (RFC 3834 and practice)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LOOP_HEADER = "X-Kefu-Loop"

_AUTO_SUBJECT_RE = re.compile(
    r"(自动回复|自動回覆|自动答复|休假|不在办公室|Auto(matic)?[ _-]?Reply|Auto[ _-]?Response"
    r"|Autoreply|Out of (the )?Office|Abwesenheit|Undeliverable|Delivery Status Notification"
    r"|Mail Delivery (Failed|Failure|System)|退信|系统退信|投递失败)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT_RE = re.compile(
    r"(Undeliver|Delivery Status Notification|Mail Delivery (Failed|Failure|System)"
    r"|Returned mail|退信|投递失败)",
    re.IGNORECASE,
)
_BOUNCE_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster"})


@dataclass(frozen=True)
class AutomationFlags:
    auto_submitted: bool
    is_bounce: bool
    is_mailing_list: bool
    is_loop: bool
    reasons: tuple[str, ...]


def _first(headers: Mapping[str, list[str]], name: str) -> str | None:
    values = headers.get(name.lower())
    return values[0].strip() if values else None


def detect_automation(
    headers: Mapping[str, list[str]],
    *,
    from_address: str,
    subject: str,
    content_type: str,
    own_addresses: Iterable[str] = (),
) -> AutomationFlags:
    """Flags for auto-replies, bounces, list mail and our own mail coming back.

    `headers` maps lower-cased header names to their decoded values.
    """
    reasons: list[str] = []
    auto = bounce = listed = loop = False

    value = _first(headers, "Auto-Submitted")
    if value is not None and value.split(";")[0].strip().lower() not in ("", "no"):
        auto = True
        reasons.append(f"auto-submitted:{value.split(';')[0].strip().lower()}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"):
        value = _first(headers, name)
        if value is not None and value.lower() not in ("no", "false", "0"):
            auto = True
            reasons.append(name.lower())
    precedence = (_first(headers, "Precedence") or "").lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        auto = True
        reasons.append(f"precedence:{precedence}")
    if precedence == "list":
        listed = True
        reasons.append("precedence:list")
    if _first(headers, "List-Id") is not None:
        listed = True
        reasons.append("list-id")
    if _first(headers, "X-Auto-Response-Suppress") and _first(headers, "X-MS-Exchange-Generated"):
        auto = True
        reasons.append("exchange-generated")
    if _AUTO_SUBJECT_RE.search(subject):
        auto = True
        reasons.append("subject")

    return_path = _first(headers, "Return-Path")
    if return_path is not None and return_path.strip().strip("<>").strip() == "":
        bounce = True
        reasons.append("return-path:null")
    local_part = from_address.split("@", 1)[0].lower()
    if local_part in _BOUNCE_LOCAL_PARTS:
        bounce = True
        reasons.append(f"from:{local_part}")
    if "report-type=delivery-status" in content_type.replace('"', "").replace(" ", "").lower():
        bounce = True
        reasons.append("delivery-status-report")
    if bounce and _BOUNCE_SUBJECT_RE.search(subject):
        reasons.append("bounce-subject")

    if _first(headers, LOOP_HEADER) is not None:
        loop = True
        reasons.append("x-kefu-loop")
    own = {address.strip().lower() for address in own_addresses if address.strip()}
    if from_address and from_address.lower() in own:
        loop = True
        reasons.append("from-own-address")

    return AutomationFlags(
        auto_submitted=auto or bounce,
        is_bounce=bounce,
        is_mailing_list=listed,
        is_loop=loop,
        reasons=tuple(dict.fromkeys(reasons)),
    )
