"""Errors with a stable code and a message in Chinese and English."""

from __future__ import annotations

from typing import Any


class KefuError(Exception):
    """Base error. `code` is a stable machine-readable identifier."""

    status_code = 400

    def __init__(
        self,
        code: str,
        message_zh: str,
        message_en: str,
        *,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        if status_code is not None:
            self.status_code = status_code
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message_zh,
            "message_en": self.message_en,
        }
        if self.details:
            body["details"] = self.details
        return body


class NotFound(KefuError):
    status_code = 404

    def __init__(self, what: str = "object", what_zh: str = "对象") -> None:
        super().__init__("not_found", f"{what_zh}不存在", f"{what} not found")


class Forbidden(KefuError):
    status_code = 403

    def __init__(self, message_zh: str = "没有权限", message_en: str = "forbidden") -> None:
        super().__init__("forbidden", message_zh, message_en)


class Unauthorized(KefuError):
    status_code = 401

    def __init__(
        self, message_zh: str = "请先登录", message_en: str = "authentication required"
    ) -> None:
        super().__init__("unauthorized", message_zh, message_en)


class Conflict(KefuError):
    status_code = 409


class InvalidInput(KefuError):
    status_code = 422


class IllegalTransition(KefuError):
    status_code = 409

    def __init__(self, current: str, target: str) -> None:
        super().__init__(
            "illegal_transition",
            f"状态不能从 {current} 变为 {target}",
            f"cannot change status from {current} to {target}",
            details={"from": current, "to": target},
        )


class RateLimited(KefuError):
    status_code = 429

    def __init__(self, retry_after: float = 1.0) -> None:
        super().__init__(
            "rate_limited",
            "操作太频繁，请稍后再试",
            "too many requests, try again later",
            details={"retry_after": round(retry_after, 1)},
        )
