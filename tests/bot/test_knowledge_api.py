"""The knowledge base through the API: search, read, vote, staff edits, tenancy."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.bot.conftest import seed_kb
from tests.world import As, World

SEARCH = "/api/v1/kb/search"


def search(client: TestClient, tenant: str, q: str) -> list[dict[str, object]]:
    r = client.get(SEARCH, params={"tenant": tenant, "q": q})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_seed_is_idempotent(client: TestClient, world: World) -> None:
    assert seed_kb(client, world.tenant_id) == 45
    assert seed_kb(client, world.tenant_id) == 0


def test_two_character_queries(client: TestClient, bot_world: World) -> None:
    for q, word in (("退款", "退款"), ("到账", "到账"), ("卡密", "卡密")):
        items = search(client, bot_world.slug, q)
        assert items, q
        top = items[0]
        assert word in str(top["title"]) or word in str(top["snippet"]), (q, top)
        scores = [float(str(i["score"])) for i in items]
        assert scores == sorted(scores, reverse=True), "best first"


def test_search_ranks_the_specific_article_first(client: TestClient, bot_world: World) -> None:
    items = search(client, bot_world.slug, "充值多久到账")
    assert items[0]["slug"] == "recharge-arrival-time"


def test_search_input_errors(client: TestClient, bot_world: World) -> None:
    r = client.get(SEARCH, params={"tenant": bot_world.slug, "q": "  "})
    assert r.status_code == 422 and r.json()["error"]["code"] == "empty_query"
    r = client.get(SEARCH, params={"tenant": "no-such-tenant", "q": "退款"})
    assert r.status_code == 404
    r = client.get(SEARCH, params={"q": "退款"})
    assert r.status_code == 422
    assert search(client, bot_world.slug, "zzzzqqqq") == []


def test_views_and_votes(client: TestClient, bot_world: World) -> None:
    url = "/api/v1/kb/articles/recharge-arrival-time"
    first = client.get(url, params={"tenant": bot_world.slug})
    assert first.status_code == 200 and first.json()["title"] == "充值多久到账？"
    second = client.get(url, params={"tenant": bot_world.slug})
    assert second.json()["views"] == first.json()["views"] + 1 == 2
    r = client.post(url + "/vote", params={"tenant": bot_world.slug}, json={"helpful": True})
    assert r.status_code == 200 and r.json()["helpful"] == 1
    r = client.post(url + "/vote", params={"tenant": bot_world.slug}, json={"helpful": False})
    assert r.json()["unhelpful"] == 1 and r.json()["helpful"] == 1
    r = client.post(url + "/vote", params={"tenant": bot_world.slug}, json={"helpful": "maybe"})
    assert r.status_code == 422
    hit = next(
        i for i in search(client, bot_world.slug, "到账") if i["slug"] == "recharge-arrival-time"
    )
    assert hit["helpful"] == 1
    missing = client.get("/api/v1/kb/articles/nope", params={"tenant": bot_world.slug})
    assert missing.status_code == 404


def test_cross_tenant_isolation(client: TestClient, bot_world: World, other_world: World) -> None:
    assert search(client, other_world.slug, "退款") == []
    r = client.get("/api/v1/kb/articles/recharge-arrival-time", params={"tenant": other_world.slug})
    assert r.status_code == 404
    r = client.post(
        "/api/v1/kb/articles/recharge-arrival-time/vote",
        params={"tenant": other_world.slug},
        json={"helpful": True},
    )
    assert r.status_code == 404


def test_staff_edits_are_searchable_at_once(
    client: TestClient, bot_world: World, admin: As, alice: As, customer: As
) -> None:
    article = {
        "slug": "lucky-wheel",
        "title": "幸运转盘活动说明",
        "body": "每天登录可获得一次转盘机会，奖品 24 小时内发放。",
        "category": "活动",
        "keywords": ["转盘", "抽奖"],
    }
    assert alice.post("/api/v1/kb/manage/articles", json=article).status_code == 403
    assert customer.post("/api/v1/kb/manage/articles", json=article).status_code == 403
    r = admin.post("/api/v1/kb/manage/articles", json=article)
    assert r.status_code == 201, r.text
    assert admin.post("/api/v1/kb/manage/articles", json=article).status_code == 409
    assert search(client, bot_world.slug, "转盘")[0]["slug"] == "lucky-wheel"
    r = admin.put(
        "/api/v1/kb/manage/articles/lucky-wheel",
        json={**{k: v for k, v in article.items() if k != "slug"}, "published": False},
    )
    assert r.status_code == 200, r.text
    assert all(i["slug"] != "lucky-wheel" for i in search(client, bot_world.slug, "转盘"))
    listing = admin.get("/api/v1/kb/manage/articles")
    assert any(a["slug"] == "lucky-wheel" and not a["published"] for a in listing.json())
    bad = dict(article, slug="Bad Slug!")
    assert admin.post("/api/v1/kb/manage/articles", json=bad).status_code == 422
