"""One settings object, read from the environment with the prefix KEFU_."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "kefu-development-secret-do-not-use-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./var/kefu.db"
    # "inline": sqlite3 calls run on the event loop (fast, one process);
    # "aiosqlite": each call in a helper thread (docs/benchmarks.md has both)
    sqlite_driver: Literal["inline", "aiosqlite"] = "inline"
    redis_url: str | None = None
    secret_key: str = DEV_SECRET
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
            self.secret_key == DEV_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "KEFU_SECRET_KEY must be set to a random value of 32+ characters in production"
            )
        return self

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
