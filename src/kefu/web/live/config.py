"""Live-connection limits, read from the environment with the prefix KEFU_WS_.

Kept apart from the main settings so tests and benchmarks can tune heartbeats and
queue sizes per server (``app.state.realtime``) without touching anything else."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RealtimeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_WS_", extra="ignore")

    hello_timeout_seconds: float = Field(default=10.0, gt=0)
    heartbeat_seconds: float = Field(default=25.0, gt=0)
    # token bucket over every client frame
    rate_per_second: float = Field(default=20.0, gt=0)
    rate_burst: int = Field(default=60, ge=1)
    # bounded outgoing queue; a client that leaves it full this long is closed (4413)
    send_queue_size: int = Field(default=256, ge=1)
    slow_consumer_seconds: float = Field(default=5.0, ge=0)
    # how long the close frame may wait behind unread data before the socket is dropped
    close_timeout_seconds: float = Field(default=5.0, gt=0)
    max_subscriptions: int = Field(default=200, ge=1)
    catch_up_page: int = Field(default=100, ge=1, le=1000)
