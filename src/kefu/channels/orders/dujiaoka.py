"""dujiaoka (独角数卡, PHP/Laravel): its one ``api_hook`` POST, made safe.

dujiaoka calls a goods item's ``api_hook`` URL once after payment with an UNSIGNED JSON
body ``{title, order_sn, email, actual_price, order_info, good_id, gd_name}``
(``order_info`` is the order's ``info``: for automatic delivery, the card codes in clear,
one a line). Nothing in the request proves who sent it, so the URL itself is the
credential: kefu gives each tenant a long random token in the path
(``/api/v1/hooks/orders/<tenant>/dujiaoka/<hook_token>``), compared in constant time.
Order numbers are 16 characters.

dujiaoka has no API to read an order, refund or re-issue: ``lookup`` and ``poll`` answer
nothing, ``refund`` / ``reissue`` raise AdapterUnsupported (done in its back office).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation

from kefu.channels.orders.adapter import (
    AdapterUnsupported,
    Capability,
    EventBatch,
    OrderEvent,
    OrderSnapshot,
    RefundRequest,
    RefundResult,
    ReissueRequest,
    ReissueResult,
    WebhookRejected,
)
from kefu.domain.vocabulary import MarketplaceKind, OrderStatus

ORDER_SN = re.compile(r"^[A-Za-z0-9]{16}$")
HOOK_UPSTREAM_STATUS = "2"  # the hook fires once the order is paid (待处理)


def _unsupported(what: str) -> AdapterUnsupported:
    return AdapterUnsupported(
        "dujiaoka_unsupported",
        f"独角数卡没有{what}接口，请在其后台处理",
        f"dujiaoka has no {what} API; use its back office",
    )


class DujiaokaAdapter:
    kind = MarketplaceKind.DUJIAOKA
    capabilities = frozenset({Capability.WEBHOOK, Capability.CARD_CODES})

    def __init__(self, *, hook_token: str) -> None:
        if len(hook_token) < 24:
            raise ValueError("the dujiaoka hook token must be long and random")
        self._token = hook_token

    async def aclose(self) -> None:
        return None

    async def lookup(self, order_no: str) -> OrderSnapshot | None:
        return None  # no read API: kefu knows what the hook told it

    async def poll(self, order_nos: Sequence[str], cursor: str | None) -> EventBatch:
        return EventBatch(events=())

    def parse_webhook(
        self, headers: Mapping[str, str], path: str, body: bytes, now: datetime
    ) -> tuple[OrderEvent, ...]:
        given = path.rstrip("/").rsplit("/", 1)[-1]
        if not hmac.compare_digest(given.encode(), self._token.encode()):
            raise WebhookRejected("hook_token_invalid", "回调地址无效", "unknown hook URL")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise WebhookRejected("body_invalid", "回调内容不是 JSON", "body is not JSON") from exc
        if not isinstance(data, dict) or not ORDER_SN.match(str(data.get("order_sn", ""))):
            raise WebhookRejected(
                "body_invalid", "回调缺少有效的订单号", "callback has no valid order_sn"
            )
        try:
            amount = Decimal(str(data.get("actual_price", "0")))
        except InvalidOperation:
            amount = Decimal("0")
        info = str(data.get("order_info") or "")
        codes = tuple(line.strip() for line in info.splitlines() if line.strip())
        status = OrderStatus.COMPLETED if codes else OrderStatus.PAID
        snap = OrderSnapshot(
            order_no=str(data["order_sn"]),
            status=status,
            upstream_status="4" if codes else HOOK_UPSTREAM_STATUS,
            product=str(data.get("title") or data.get("gd_name") or ""),
            amount=amount,
            contact=str(data.get("email") or "") or None,
            paid_at=now,
            delivered_at=now if codes else None,
            updated_at=now,
            card_codes=codes,
        )
        return (
            OrderEvent(
                event_id=f"dujiaoka:{hashlib.sha256(body).hexdigest()[:32]}",
                order_no=snap.order_no,
                status=snap.status,
                upstream_status=snap.upstream_status,
                occurred_at=now,
                snapshot=snap,
            ),
        )

    async def refund(self, request: RefundRequest, idempotency_key: str) -> RefundResult:
        raise _unsupported("退款")

    async def reissue(self, request: ReissueRequest, idempotency_key: str) -> ReissueResult:
        raise _unsupported("补发")
