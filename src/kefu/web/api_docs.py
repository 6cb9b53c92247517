"""/docs: the API reference, offline and usable with the signed-in session.

FastAPI's own /docs loads Swagger UI from a CDN (unreachable offline, unreliable in
mainland China) and runs inline script. Here Swagger UI is vendored from the npm
registry (static/vendor/swagger-ui, with its LICENSE) and started by static/api-docs.js,
so the page keeps the strict CSP of every other page. A signed-in staff member's page
carries the session's CSRF token in a meta tag; api-docs.js adds it to every request
("Try it out" writes as that person, with the cookie the browser sends anyway). Without
a session the page still documents everything and a bearer token can be entered under
"Authorize"."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from kefu.actions import auth
from kefu.web.deps import KefuDep
from kefu.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request, kefu: KefuDep) -> HTMLResponse:
    cookie = request.cookies.get(auth.SESSION_COOKIE)
    staff = await auth.authenticate_session(kefu, cookie) if cookie else None
    return templates.TemplateResponse(
        request,
        "api_docs.html",
        {"csrf": staff.csrf_token if staff else "", "signed_in": staff is not None},
    )
