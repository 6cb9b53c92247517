"""Findings (Low): login CSRF (POST /console/login from another origin set a session);
no CSP, X-Frame-Options, nosniff, Referrer-Policy on HTML pages; tracking tokens in
access logs; /metrics public; no CORS, so the widget could not call the API from a shop
on another domain."""

from __future__ import annotations

import logging
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from kefu.logging_setup import SecretMaskingFilter
from kefu.storage.models import Tenant
from tests.security.conftest import AppFactory, kefu_of, world_in
from tests.world import PASSWORD, World


def _pages(world: World) -> list[str]:
    return [
        "/console/login",
        f"/help/{world.slug}",
        f"/help/{world.slug}/track",
        f"/help/{world.slug}/ticket",
        "/demo/shop",
    ]


def test_every_html_page_has_csp_without_inline_script_and_frame_headers(
    make_client: AppFactory,
) -> None:
    client = make_client()
    world = world_in(client)
    for path in _pages(world):
        r = client.get(path)
        assert r.status_code == 200, path
        csp = r.headers.get("content-security-policy", "")
        script_src = re.search(r"script-src ([^;]*)", csp)
        assert script_src and "'unsafe-inline'" not in script_src.group(1), path
        assert "frame-ancestors 'none'" in csp, path
        assert r.headers.get("x-frame-options") == "DENY", path
        assert r.headers.get("x-content-type-options") == "nosniff", path
        assert r.headers.get("referrer-policy") == "same-origin", path
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", r.text)
        handlers = re.findall(r"\son[a-z]+=\"", r.text)
        assert not inline and not handlers, path


def test_login_from_another_site_is_refused(make_client: AppFactory) -> None:
    client = make_client()
    world = world_in(client)
    form = {"email": world.emails["alice"], "password": PASSWORD}
    evil = client.post(
        "/console/login",
        data=form,
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert evil.status_code == 403 and "kefu_session" not in evil.headers.get("set-cookie", "")
    api = client.post(
        "/api/v1/auth/login",
        json=form,
        headers={"Referer": "https://evil.example/page"},
    )
    assert api.status_code == 403
    own = client.post(
        "/console/login",
        data=form,
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert own.status_code == 303


def test_metrics_need_a_token_or_loopback(make_client: AppFactory) -> None:
    client = make_client(metrics_token="t" * 40)
    world_in(client)
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = client.get("/metrics", headers={"Authorization": "Bearer " + "t" * 40})
    assert ok.status_code == 200 and "kefu_http_requests_total" in ok.text


def _allow(client: TestClient, world: World, origins: list[str]) -> None:
    async def go() -> None:
        async with kefu_of(client).db.write() as s:
            tenant = (
                await s.execute(select(Tenant).where(Tenant.id == world.tenant_id))
            ).scalar_one()
            tenant.settings = {**(tenant.settings or {}), "allowed_origins": origins}

    assert client.portal is not None
    client.portal.call(go)


def test_cors_answers_only_the_tenants_own_shops(make_client: AppFactory) -> None:
    client = make_client()
    world, other = world_in(client), world_in(client)
    _allow(client, world, ["https://shop.example"])
    _allow(client, other, ["https://other-shop.example"])
    pre = client.options(
        "/api/v1/widget/session",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-kefu-tenant",
        },
    )
    assert pre.status_code in (200, 204)
    assert pre.headers["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-credentials" not in pre.headers
    real = client.post(
        "/api/v1/widget/session",
        json={"tenant": world.slug},
        headers={"Origin": "https://shop.example", "X-Kefu-Tenant": world.slug},
    )
    assert real.status_code == 200
    assert real.headers["access-control-allow-origin"] == "https://shop.example"
    cross = client.get(
        f"/api/v1/widget/config?tenant={other.slug}",
        headers={"Origin": "https://shop.example", "X-Kefu-Tenant": other.slug},
    )
    assert "access-control-allow-origin" not in cross.headers
    stranger = client.options(
        "/api/v1/widget/session",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in stranger.headers


def test_tracking_tokens_are_cut_from_logged_paths() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJrIjoidHJrIn0.c2lnbmF0dXJl"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1,
        '%s - "%s %s HTTP/1.1" %d',
        ("127.0.0.1:5000", "GET", f"/help/demo/t/{token}", 200),
        None,
    )  # fmt: skip
    assert SecretMaskingFilter().filter(record)
    assert token not in record.getMessage() and "/help/demo/t/[token]" in record.getMessage()
    api = logging.LogRecord(
        "kefu", logging.INFO, __file__, 1, "GET /api/v1/tickets/track/%s", (token,), None
    )
    SecretMaskingFilter().filter(api)
    assert token not in api.getMessage()
