"""The dujiao-next adapter against a fake site speaking its protocol over real HTTP:
signatures both ways, the ±60 s window, retries on 5xx and timeouts, exactly-once writes
by downstream_order_no."""

from __future__ import annotations

import hashlib
import hmac
import json
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
from kefu.channels.orders.dujiao_next import DujiaoNextAdapter, signature
from kefu.clock import FakeClock
from kefu.domain.vocabulary import OrderStatus, RefundRoute
from kefu.marketplace_fakes.dujiao_next import FakeDujiaoNext, FakeOrder

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def site() -> FakeDujiaoNext:
    fake = FakeDujiaoNext()
    fake.add(
        FakeOrder(
            order_no="DJ202612020001",
            title="王者荣耀 点券 60",
            amount=Decimal("60.00"),
            status="delivered",
            user_id=42,
            email="buyer@example.com",
            codes=["CARD-AAAA-1111", "CARD-BBBB-2222"],
        )
    )
    return fake


@pytest.fixture
def site_url(site: FakeDujiaoNext) -> Iterator[str]:
    with live_server(site.app()) as url:
        yield url


def make_adapter(
    site: FakeDujiaoNext, url: str, clock: FakeClock | None = None, **kw: object
) -> DujiaoNextAdapter:
    now = clock.now if clock else (lambda: datetime.now(UTC))
    return DujiaoNextAdapter(
        base_url=url,
        api_key=str(kw.pop("api_key", site.api_key)),
        api_secret=str(kw.pop("api_secret", site.api_secret)),
        now=now,
        sleep=no_sleep,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
async def adapter(site: FakeDujiaoNext, site_url: str) -> AsyncIterator[DujiaoNextAdapter]:
    a = make_adapter(site, site_url)
    yield a
    await a.aclose()


def test_signature_is_the_protocols() -> None:
    body = b'{"a":1}'
    md5 = hashlib.md5(body).hexdigest()
    expected = hmac.new(
        b"s3cret", f"POST\n/api/v1/upstream/orders\n1764640000\n{md5}".encode(), hashlib.sha256
    ).hexdigest()
    assert signature("s3cret", "post", "/api/v1/upstream/orders", 1764640000, body) == expected


async def test_lookup_normalises_and_fetches_codes(adapter: DujiaoNextAdapter) -> None:
    assert isinstance(adapter, OrderAdapter)
    snap = await adapter.lookup("DJ202612020001")
    assert snap is not None
    assert snap.status is OrderStatus.DELIVERED and snap.upstream_status == "delivered"
    assert snap.amount == Decimal("60.00") and snap.product == "王者荣耀 点券 60"
    assert snap.customer_ref == "42" and snap.contact == "buyer@example.com"
    assert snap.card_codes == ("CARD-AAAA-1111", "CARD-BBBB-2222")
    assert "CARD-AAAA" not in repr(snap)
    assert await adapter.lookup("DJ-NOPE") is None


async def test_wrong_secret_is_refused(site: FakeDujiaoNext, site_url: str) -> None:
    bad = make_adapter(site, site_url, api_secret="not-the-secret")
    with pytest.raises(AdapterRejected) as err:
        await bad.lookup("DJ202612020001")
    assert err.value.code == "marketplace_auth_failed"
    assert site.rejected == ["invalid_signature"]
    await bad.aclose()


@pytest.mark.parametrize(("skew", "refused"), [(50, False), (-50, False), (75, True), (-75, True)])
async def test_clock_window(site: FakeDujiaoNext, site_url: str, skew: int, refused: bool) -> None:
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=skew))
    a = make_adapter(site, site_url, clock)
    if refused:
        with pytest.raises(AdapterRejected):
            await a.lookup("DJ202612020001")
        assert site.rejected == ["timestamp_expired"]
    else:
        assert await a.lookup("DJ202612020001") is not None
    await a.aclose()


async def test_5xx_is_retried_then_transient(
    site: FakeDujiaoNext, adapter: DujiaoNextAdapter
) -> None:
    site.faults = ["500", "500"]
    assert await adapter.lookup("DJ202612020001") is not None
    assert site.requests_seen == 3
    site.faults = ["500", "500", "500"]
    with pytest.raises(AdapterTransient):
        await adapter.lookup("DJ202612020001")


async def test_refund_exactly_once_when_the_first_answer_times_out(
    site: FakeDujiaoNext, site_url: str
) -> None:
    site.faults, site.slow_seconds = ["slow"], 1.5
    a = make_adapter(site, site_url, timeout_seconds=0.5)
    request = RefundRequest("DJ202612020001", Decimal("60.00"), RefundRoute.BALANCE, "未到账")
    result = await a.refund(request, "kefu-refund-7")
    assert result.duplicate  # the second attempt found the first one
    assert result.status is OrderStatus.REFUNDED and result.amount == Decimal("60.00")
    assert len(site.refunds) == 1
    assert site.refunds["kefu-refund-7"]["refund_type"] == "wallet"
    again = await a.refund(request, "kefu-refund-7")  # the outbox retrying later
    assert again.duplicate and again.refund_ref == result.refund_ref
    assert len(site.refunds) == 1
    with pytest.raises(AdapterRejected) as err:  # a second, different refund: over the amount
        await a.refund(request, "kefu-refund-8")
    assert err.value.code == "dujiao_next_refund_amount_invalid"
    assert len(site.refunds) == 1
    await a.aclose()


async def test_reissue_once_per_key(site: FakeDujiaoNext, adapter: DujiaoNextAdapter) -> None:
    first = await adapter.reissue(ReissueRequest("DJ202612020001", 1, "卡密无效"), "re-1")
    second = await adapter.reissue(ReissueRequest("DJ202612020001", 1, "卡密无效"), "re-1")
    assert not first.duplicate and second.duplicate
    assert first.reissue_ref == second.reissue_ref and len(site.reissues) == 1
    assert first.status is OrderStatus.DELIVERED and len(first.card_codes) == 1


def _callback(site: FakeDujiaoNext, path: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"event": "order.updated", **site.orders["DJ202612020001"].to_json()})
    raw = body.encode()
    return {k.lower(): v for k, v in site.signed_headers(path, raw).items()}, raw


async def test_signed_callback_verified(site: FakeDujiaoNext, adapter: DujiaoNextAdapter) -> None:
    path = "/hooks/orders/t1/dujiao_next"
    site.set_status("DJ202612020001", "refunded")
    headers, body = _callback(site, path)
    now = datetime.now(UTC)
    (event,) = adapter.parse_webhook(headers, path, body, now)
    assert event.status is OrderStatus.REFUNDED and event.order_no == "DJ202612020001"
    assert adapter.parse_webhook(headers, path, body, now)[0].event_id == event.event_id
    with pytest.raises(WebhookRejected, match="signature_invalid"):
        adapter.parse_webhook(headers, path, body.replace(b"refunded", b"completed"), now)
    with pytest.raises(WebhookRejected, match="signature_invalid"):
        adapter.parse_webhook(headers, "/hooks/orders/t2/dujiao_next", body, now)
    with pytest.raises(WebhookRejected, match="timestamp_out_of_window"):
        adapter.parse_webhook(headers, path, body, now + timedelta(seconds=61))
    with pytest.raises(WebhookRejected, match="signature_missing"):
        adapter.parse_webhook({}, path, body, now)
