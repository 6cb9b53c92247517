"""The widget script, the demo shop page and the console pages over plain HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.world import PASSWORD, As, World, build_world

from kefu.actions.context import Kefu
from kefu.clock import FakeClock
from kefu.settings import Settings
from kefu.web.app import create_app


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as c:
        yield c


def build(client: TestClient) -> World:
    kefu: Kefu = client.app.state.kefu  # type: ignore[attr-defined]
    assert client.portal is not None
    return client.portal.call(build_world, kefu)


def sign_in(client: TestClient, email: str) -> None:
    r = client.post(
        "/console/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/console"


def test_widget_js_is_served_as_javascript_with_cache_headers(client: TestClient) -> None:
    r = client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "max-age=" in r.headers["cache-control"]
    assert r.headers["x-content-type-options"] == "nosniff"
    for testid in ("kefu-launcher", "kefu-panel", "kefu-handoff", "kefu-rating-submit"):
        assert testid in r.text
    again = client.get("/widget.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_demo_shop_embeds_the_widget_with_one_tag(client: TestClient) -> None:
    r = client.get("/demo/shop")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    tags = re.findall(r"<script[^>]*>", r.text)
    assert tags == ['<script src="http://testserver/widget.js" data-tenant="demo" async>']
    assert "星辰卡盟" in r.text
    en = client.get("/demo/shop", params={"tenant": "t1", "lang": "en"})
    assert 'data-tenant="t1" data-lang="en"' in en.text


def test_console_redirects_to_sign_in_when_not_signed_in(client: TestClient) -> None:
    r = client.get("/console", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"
    partial = client.get("/console/partials/list", headers={"HX-Request": "true"})
    assert partial.status_code == 401
    assert partial.headers["hx-redirect"] == "/console/login"
    page = client.get("/console/login")
    assert page.status_code == 200
    for testid in ("console-login-email", "console-login-password", "console-login-submit"):
        assert f'data-testid="{testid}"' in page.text


def test_wrong_password_shows_a_chinese_error_and_keeps_the_email(client: TestClient) -> None:
    world = build(client)
    email = world.emails["alice"]
    r = client.post("/console/login", data={"email": email, "password": "wrong"})
    assert r.status_code == 401
    assert "邮箱或密码错误" in r.text
    assert f'value="{email}"' in r.text
    empty = client.post("/console/login", data={"email": "", "password": ""})
    assert empty.status_code == 422
    assert "请输入邮箱和密码" in empty.text


def test_signed_in_console_and_its_partials_render(client: TestClient) -> None:
    world = build(client)
    customer = As(client, token=world.customer_tokens["m1"])
    conv = customer.post(
        "/api/v1/conversations", json={"body": "充值了没到账", "client_msg_id": "c-1"}
    ).json()
    assert customer.post(f"/api/v1/conversations/{conv['id']}/handoff").status_code == 200
    alice = As.staff(client, world.emails["alice"])
    note = alice.post(f"/api/v1/conversations/{conv['id']}/notes", json={"body": "先查上游"})
    assert note.status_code == 201

    sign_in(client, world.emails["alice"])
    page = client.get("/console")
    assert page.status_code == 200
    assert 'name="kefu-csrf"' in page.text
    assert 'data-testid="console-presence"' in page.text
    assert "alice" in page.text

    queued = client.get("/console/partials/list", params={"tab": "queued"})
    assert queued.status_code == 200
    assert 'data-testid="console-list-queued"' in queued.text
    assert f'data-id="{conv["id"]}"' in queued.text
    mine = client.get("/console/partials/list", params={"tab": "mine"})
    assert 'data-testid="console-list-mine"' in mine.text
    assert conv["id"] not in mine.text
    tabs = client.get("/console/partials/tabs")
    assert re.search(r'console-count-queued">1<', tabs.text)

    pane = client.get(f"/console/partials/conversation/{conv['id']}")
    assert pane.status_code == 200
    assert 'data-testid="console-timeline"' in pane.text
    assert "充值了没到账" in pane.text
    assert "内部备注" in pane.text and "先查上游" in pane.text
    assert 'data-testid="console-claim"' in pane.text
    seqs = re.findall(r'data-testid="console-event" data-seq="(\d+)"', pane.text)
    assert seqs == sorted(seqs, key=int) and len(seqs) >= 4

    later = client.get(
        f"/console/partials/conversation/{conv['id']}/events", params={"after_seq": seqs[-2]}
    )
    assert re.findall(r'data-seq="(\d+)"', later.text) == [seqs[-1]]
    assert later.headers["x-kefu-status"] == "queued"

    profile = client.get(f"/console/partials/customer/{world.customers['m1']}")
    assert profile.status_code == 200
    assert "普通会员" in profile.text
    assert world.orders[0] in profile.text and "处理中" in profile.text


def test_console_never_shows_another_tenants_conversation(client: TestClient) -> None:
    world = build(client)
    other = build(client)
    stranger = As(client, token=other.customer_tokens["m1"])
    conv = stranger.post("/api/v1/conversations", json={"body": "别家的会话"}).json()
    sign_in(client, world.emails["alice"])
    assert client.get(f"/console/partials/conversation/{conv['id']}").status_code == 404
    assert client.get(f"/console/partials/customer/{other.customers['m1']}").status_code == 404
    listing = client.get("/console/partials/list", params={"tab": "all"})
    assert conv["id"] not in listing.text


def test_console_assets_are_served(client: TestClient) -> None:
    for path, kind in (
        ("/static/console.js", "javascript"),
        ("/static/console.css", "text/css"),
        ("/static/vendor/htmx/htmx.min.js", "javascript"),
        ("/static/sounds/new-assignment.wav", "audio/"),
    ):
        r = client.get(path)
        assert r.status_code == 200, path
        assert kind in r.headers["content-type"], (path, r.headers["content-type"])
