"""kefu.realtime: the broker backends that wake live connections up (in-process, Redis
pub/sub). The socket protocol itself lives in kefu.web.live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kefu.realtime.broker import Broker, InProcessBroker

if TYPE_CHECKING:  # realtime depends on no layer above it; settings is passed in
    from kefu.settings import Settings


def make_broker(settings: Settings) -> Broker:
    """Redis pub/sub when KEFU_REDIS_URL is set (N processes), else in-process."""
    if settings.redis_url:
        from kefu.realtime.redis_broker import RedisBroker

        return RedisBroker(settings.redis_url)
    return InProcessBroker()
