"""One settings object, read from the environment with the prefix KEFU_."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kefu.domain.signed_tokens import KeyRing

# Published in this repository's history: never valid on an address others can reach.
DEV_SECRET = "kefu-development-secret-do-not-use-in-production"
PUBLISHED_SECRETS = frozenset({DEV_SECRET})
SECRET_FILE = "secret_key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/kefu.db"
    # NORMAL: an acknowledged write survives a crash of the process; FULL: also power
    # loss (one fsync per group-commit batch; docs/write-path.md)
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    # "inline": writer statements on the loop while holding the lock, waits in a thread;
    # "thread": every writer call in aiosqlite's thread (docs/write-path.md)
    sqlite_writer: Literal["inline", "thread"] = "inline"
    redis_url: str | None = None
    # empty: read var/secret_key, created with a random value on first start (0600)
    secret_key: str = ""
    # comma-separated keys that still verify tokens after a rotation (docs/security.md)
    previous_secret_keys: str = ""
    # comma-separated addresses / networks of reverse proxies whose X-Forwarded-For is
    # believed; without them the socket's peer address is the client
    trusted_proxies: str = ""
    # bearer token for /metrics; without it /metrics answers loopback clients only
    metrics_token: str | None = None
    # SMS adapter for one-time codes ("log": the development adapter, docs/security.md)
    sms_adapter: Literal["log"] = "log"
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str | None = None
    data_dir: Path = Path("./var")
    timezone: str = "Asia/Shanghai"
    cookie_secure: bool | None = None
    session_hours: int = 12
    attachment_max_bytes: int = 10 * 1024 * 1024
    request_max_bytes: int = 12 * 1024 * 1024
    message_max_chars: int = 5000
    login_max_failures: int = 5
    login_max_failures_per_ip: int = 50
    login_window_minutes: int = 15
    anon_sessions_per_10min: int = 60
    anon_tickets_per_10min: int = 20
    anon_votes_per_10min: int = 60
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    log_json: bool = True
    log_level: str = "INFO"
    run_scheduler: bool = True
    # GC thresholds for server processes: rarer, larger young collections and almost no
    # full collections, whose 150-400 ms pauses were the chat's p99 (docs/benchmarks.md)
    gc_thresholds: tuple[int, int, int] | None = (50_000, 50, 1_000)

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    mail_from: str = "kefu@localhost"
    mail_reply_to: str | None = None
    ticket_reopen_days: int = 7

    demo_password: str = Field(default="kefu-demo-2026")

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env == "production" and (
            self.secret_key in PUBLISHED_SECRETS or len(self.secret_key) < 32
        ):
            raise ValueError(
                "KEFU_SECRET_KEY must be set to a random value of 32+ characters in production"
            )
        if not self.secret_key:
            self.secret_key = load_or_create_secret(self.data_dir / SECRET_FILE)
        refuse_weak_secret_on(self.host, self.secret_key)
        return self

    @cached_property
    def signing_keys(self) -> KeyRing:
        previous = [k.strip() for k in self.previous_secret_keys.split(",") if k.strip()]
        return KeyRing.of(self.secret_key, previous)

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.env == "production"

    @property
    def public_base_url(self) -> str:
        return self.base_url or f"http://{self.host}:{self.port}"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_weak_secret_on(host: str, secret: str) -> None:
    """A server others can reach never signs with a published or short secret."""
    if not is_loopback(host) and (secret in PUBLISHED_SECRETS or len(secret) < 32):
        raise ValueError(
            f"refusing to serve on {host} with the published development secret (or one "
            "shorter than 32 characters): unset KEFU_SECRET_KEY to use the generated one "
            "under the data directory, or set a random value of 32+ characters"
        )


def load_or_create_secret(path: Path) -> str:
    """The secret under var/: read it, or create it once with 0600 (safe when several
    processes start together: the first to create it wins, the others read it)."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        text = ""
    if text:
        return text
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
