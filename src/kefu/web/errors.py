"""Every error is JSON with a stable code and a message in Chinese and English."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
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


PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,"Noto Sans CJK SC",sans-serif;background:#f5f6f8;margin:0;
display:flex;min-height:100vh;align-items:center;justify-content:center;color:#1f2329}}
main{{background:#fff;border-radius:12px;padding:32px 28px;max-width:420px;margin:16px;
box-shadow:0 2px 12px rgba(0,0,0,.06)}}h1{{font-size:20px;margin:0 0 8px}}p{{color:#646a73}}
a{{color:#e8452c}}</style></head><body><main data-testid="error-page">
<h1>{title}</h1><p>{message}</p><p lang="en">{message_en}</p>
<p><a href="javascript:history.back()">返回上一页</a></p></main></body></html>"""


def wants_html(request: Request) -> bool:
    """A person's browser on a page route (the API always answers JSON)."""
    path = request.url.path
    return not path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error_response(
    request: Request, status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    if wants_html(request):
        err = body["error"]
        page = PAGE.format(
            title=html.escape(f"{status} · {err['message']}"),
            message=html.escape(err["message"]),
            message_en=html.escape(err["message_en"]),
        )
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


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
    async def _kefu_error(request: Request, exc: KefuError) -> Response:
        headers = {}
        if exc.status_code == 429 and "retry_after" in exc.details:
            headers["Retry-After"] = str(int(exc.details["retry_after"]) or 1)
        return error_response(request, exc.status_code, {"error": exc.to_dict()}, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _simplify(list(exc.errors()))
        malformed = any(e["type"] == "json_invalid" for e in errors)
        code = "malformed_json" if malformed else "invalid_input"
        zh = "JSON 格式错误" if malformed else "输入不正确，请检查后重试"
        en = "malformed JSON" if malformed else "invalid input"
        return JSONResponse(error_body(code, zh, en, fields=errors), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code, zh, en = HTTP_CODES.get(exc.status_code, ("http_error", "请求失败", "request failed"))
        return error_response(request, exc.status_code, error_body(code, zh, en), exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        body = error_body("internal_error", "服务器开小差了，请稍后再试", "internal server error")
        return error_response(request, 500, body)
