"""kefu's own signed order API against a fake marketplace implementing the documented
protocol over real HTTP: signatures both ways, the 300 s window, retries, exactly-once
writes by Idempotency-Key."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tests.livesrv import live_server

from kefu.channels.orders import (
    AdapterRejected,
    AdapterTransient,
    OrderAdapter,
    RefundRequest,
    ReissueRequest,
    WebhookRejected,
)
from kefu.channels.orders.kefu_api import KefuApiAdapter, signature
from kefu.clock import FakeClock
from kefu.domain.vocabulary import OrderStatus
from kefu.marketplace_fakes.kefu_api import FakeKefuApiShop, ShopOrder

pytestmark = pytest.mark.anyio
NO = "KM20261202000001"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def shop() -> FakeKefuApiShop:
    fake = FakeKefuApiShop()
    fake.orders[NO] = ShopOrder(NO, "话费 100", Decimal("99.50"), status="delivered",
                                customer_id="m1", card_codes=["HF-1"])  # fmt: skip
    return fake


@pytest.fixture
def url(shop: FakeKefuApiShop) -> Iterator[str]:
    with live_server(shop.app()) as u:
        yield u


def adapter_for(shop: FakeKefuApiShop, url: str, **kw: object) -> KefuApiAdapter:
    clock = kw.pop("clock", None)
    now = clock.now if isinstance(clock, FakeClock) else (lambda: datetime.now(UTC))
    return KefuApiAdapter(base_url=url, api_key=shop.api_key,
                          api_secret=str(kw.pop("secret", shop.api_secret)), now=now,
                          sleep=no_sleep, **kw)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture
async def adapter(shop: FakeKefuApiShop, url: str) -> AsyncIterator[KefuApiAdapter]:
    a = adapter_for(shop, url)
    yield a
    await a.aclose()


def test_signature_is_the_documented_one() -> None:
    body = b'{"x":1}'
    text = f"1764640000\nPOST\n/kefu/v1/orders/A/refunds\n{hashlib.sha256(body).hexdigest()}"
    expected = "v1=" + hmac.new(b"k", text.encode(), hashlib.sha256).hexdigest()
    assert signature("k", 1764640000, "post", "/kefu/v1/orders/A/refunds", body) == expected


async def test_lookup(adapter: KefuApiAdapter) -> None:
    assert isinstance(adapter, OrderAdapter)
    snap = await adapter.lookup(NO)
    assert snap is not None and snap.status is OrderStatus.DELIVERED
    assert snap.customer_ref == "m1" and snap.card_codes == ("HF-1",)
    assert await adapter.lookup("KM-NONE") is None


async def test_bad_secret_and_clock_refused(shop: FakeKefuApiShop, url: str) -> None:
    bad = adapter_for(shop, url, secret="wrong")
    with pytest.raises(AdapterRejected, match="marketplace_auth_failed"):
        await bad.lookup(NO)
    late = adapter_for(shop, url, clock=FakeClock(datetime.now(UTC) + timedelta(seconds=400)))
    with pytest.raises(AdapterRejected):
        await late.lookup(NO)
    assert shop.rejected == ["bad_signature", "stale_timestamp"]
    await bad.aclose()
    await late.aclose()


async def test_refund_once_despite_timeout_and_5xx(shop: FakeKefuApiShop, url: str) -> None:
    a = adapter_for(shop, url, timeout_seconds=0.5)
    shop.faults = ["500", "slow"]
    result = await a.refund(RefundRequest(NO, Decimal("99.50"), reason="未到账"), "idem-1")
    assert result.duplicate and result.status is OrderStatus.REFUNDED
    assert len(shop.refunds) == 1
    with pytest.raises(AdapterRejected, match="kefu_api_amount_exceeds_paid"):
        await a.refund(RefundRequest(NO, Decimal("1")), "idem-2")
    shop.faults = ["500", "500", "500"]
    with pytest.raises(AdapterTransient):
        await a.refund(RefundRequest(NO, Decimal("1")), "idem-3")
    assert len(shop.refunds) == 1
    await a.aclose()


async def test_reissue_once(shop: FakeKefuApiShop, adapter: KefuApiAdapter) -> None:
    one = await adapter.reissue(ReissueRequest(NO, 2), "re-1")
    two = await adapter.reissue(ReissueRequest(NO, 2), "re-1")
    assert two.duplicate and one.card_codes == two.card_codes and len(one.card_codes) == 2
    assert len(shop.reissues) == 1


async def test_callback_verified(shop: FakeKefuApiShop, adapter: KefuApiAdapter) -> None:
    target = "/api/v1/hooks/orders/t1/kefu_api"
    headers, body = shop.callback(NO, target)
    now = datetime.now(UTC)
    (event,) = adapter.parse_webhook(headers, target, body, now)
    assert event.status is OrderStatus.DELIVERED and event.snapshot is not None
    with pytest.raises(WebhookRejected, match="signature_invalid"):
        adapter.parse_webhook(headers, target, body.replace(b"99.50", b"0.01"), now)
    with pytest.raises(WebhookRejected, match="timestamp_out_of_window"):
        adapter.parse_webhook(headers, target, body, now - timedelta(seconds=301))
