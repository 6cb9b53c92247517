"""Every error is JSON with a stable code and a message in Chinese and English."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kefu.errors import KefuError

log = logging.getLogger("kefu.web")

HTTP_CODES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求格式不正确", "bad request"),
    401: ("unauthorized", "请先登录", "authentication required"),
    403: ("forbidden", "没有权限", "forbidden"),
    404: ("not_found", "页面或对象不存在", "not found"),
    405: ("method_not_allowed", "不支持该请求方法", "method not allowed"),
    406: ("not_acceptable", "不支持的格式", "not acceptable"),
    413: ("payload_too_large", "请求内容太大", "payload too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "unsupported media type"),
    429: ("rate_limited", "操作太频繁，请稍后再试", "too many requests"),
}


def error_body(code: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": zh, "message_en": en, **extra}}


def _simplify(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for err in errors[:20]:
        out.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "type": str(err.get("type", "")),
                "msg": str(err.get("msg", ""))[:200],
            }
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KefuError)
    async def _kefu_error(_request: Request, exc: KefuError) -> JSONResponse:
        headers = {}
        if exc.status_code == 429 and "retry_after" in exc.details:
            headers["Retry-After"] = str(int(exc.details["retry_after"]) or 1)
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _simplify(list(exc.errors()))
        malformed = any(e["type"] == "json_invalid" for e in errors)
        code = "malformed_json" if malformed else "invalid_input"
        zh = "JSON 格式错误" if malformed else "输入不正确，请检查后重试"
        en = "malformed JSON" if malformed else "invalid input"
        return JSONResponse(error_body(code, zh, en, fields=errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = HTTP_CODES.get(exc.status_code, ("http_error", "请求失败", "request failed"))
        return JSONResponse(
            error_body(code, zh, en), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "服务器开小差了，请稍后再试", "internal server error"),
            status_code=500,
        )
