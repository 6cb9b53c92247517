"""Findings (Medium): an identity token with exp 48 h ahead was accepted while its nonce
was kept 24 h (it replayed after a day); exp of 1e20 / Infinity / NaN gave a 500.
Deliverable: identity tokens as JWT HS256 (PyJWT) with a kid, the old format kept."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from kefu.clock import FakeClock
from tests.security.conftest import AppFactory, legacy_token, world_in
from tests.world import World


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client()


@pytest.fixture
def world(client: TestClient) -> World:
    return world_in(client)


def _payload(clock: FakeClock, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "customer_id": "shop-user-7",
        "exp": int((clock.now() + timedelta(minutes=5)).timestamp()),
        "nonce": secrets.token_hex(8),
    }
    payload.update(overrides)
    return payload


def _exchange(client: TestClient, world: World, token: str) -> tuple[int, str]:
    r = client.post("/api/v1/widget/session", json={"tenant": world.slug, "identity_token": token})
    return r.status_code, r.json().get("error", {}).get("code", "") if r.status_code >= 400 else ""


def test_exp_more_than_24_hours_ahead_is_refused(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    far = _payload(clock, exp=int((clock.now() + timedelta(hours=48)).timestamp()))
    assert _exchange(client, world, legacy_token(far, world.widget_secret))[0] == 401
    near = _payload(clock, exp=int((clock.now() + timedelta(hours=23)).timestamp()))
    assert _exchange(client, world, legacy_token(near, world.widget_secret))[0] == 200


def test_nonce_is_kept_until_the_token_expires(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    payload = _payload(clock, exp=int((clock.now() + timedelta(hours=23, minutes=50)).timestamp()))
    token = legacy_token(payload, world.widget_secret)
    assert _exchange(client, world, token)[0] == 200
    clock.advance(hours=23, minutes=40)
    # another exchange purges old nonces; the replay is still refused
    assert _exchange(client, world, legacy_token(_payload(clock), world.widget_secret))[0] == 200
    assert _exchange(client, world, token) == (401, "token_replayed")


@pytest.mark.parametrize("exp", [1e20, float("inf"), float("-inf"), float("nan"), "1e20"])
def test_non_finite_or_absurd_exp_is_a_4xx_not_a_500(
    client: TestClient, world: World, clock: FakeClock, exp: object
) -> None:
    status, _ = _exchange(
        client, world, legacy_token(_payload(clock, exp=exp), world.widget_secret)
    )
    assert 400 <= status < 500


def test_marketplace_signs_with_an_ordinary_jwt_library(
    client: TestClient, world: World, clock: FakeClock
) -> None:
    token = jwt.encode(_payload(clock), world.widget_secret, algorithm="HS256")
    assert _exchange(client, world, token)[0] == 200
    with_kid = jwt.encode(
        _payload(clock), world.widget_secret, algorithm="HS256", headers={"kid": "unknown"}
    )
    assert _exchange(client, world, with_kid)[0] == 401
    wrong = jwt.encode(_payload(clock), "x" * 40, algorithm="HS256")
    assert _exchange(client, world, wrong)[0] == 401
    unsigned = jwt.encode(_payload(clock), None, algorithm="none")
    assert _exchange(client, world, unsigned)[0] == 401
    for bad_exp in (1e20, float("nan")):
        status, _ = _exchange(
            client, world, jwt.encode(_payload(clock, exp=bad_exp), world.widget_secret)
        )
        assert 400 <= status < 500


def test_kefu_tokens_carry_a_key_id_and_survive_a_rotation(
    make_client: AppFactory, clock: FakeClock
) -> None:
    old_secret = "old-" + "a" * 40
    client = make_client(secret_key=old_secret)
    world = world_in(client)
    token = world.customer_tokens["m1"].removeprefix("kfc_")
    assert "kid" in jwt.get_unverified_header(token)
    rotated = make_client(secret_key="new-" + "b" * 40, previous_secret_keys=old_secret)
    headers = {"Authorization": f"Bearer {world.customer_tokens['m1']}"}
    assert rotated.get("/api/v1/conversations", headers=headers).status_code == 200
    dropped = make_client(secret_key="new-" + "b" * 40)
    assert dropped.get("/api/v1/conversations", headers=headers).status_code == 401
