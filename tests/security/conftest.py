"""Security fixtures: an app built with chosen settings (tight budgets, trusted proxies,
no configured secret), the API world inside it, and tokens made the way an attacker
or a marketplace makes them (standard libraries, no kefu helpers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.actions.context import Kefu
from kefu.clock import FakeClock
from kefu.settings import Settings
from kefu.web.app import create_app
from tests.conftest import make_settings
from tests.world import World, build_world


def legacy_token(payload: dict[str, Any], secret: str) -> str:
    """kefu's pre-JWT format, built by hand: base64url(json).base64url(hmac)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    body = b64(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{b64(mac)}"


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(database_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[AppFactory]:
    with ExitStack() as stack:

        def build(*, unset: tuple[str, ...] = (), **overrides: Any) -> TestClient:
            """`unset`: settings left to their defaults (e.g. no configured secret)."""
            settings = make_settings(database_url, tmp_path / "var", **overrides)
            if unset:
                values = settings.model_dump(exclude=set(unset))
                settings = Settings(**values)
            return stack.enter_context(TestClient(create_app(settings, clock=clock)))

        yield build


def kefu_of(client: TestClient) -> Kefu:
    kefu: Kefu = client.app.state.kefu  # type: ignore[attr-defined]
    return kefu


def world_in(client: TestClient) -> World:
    assert client.portal is not None
    return client.portal.call(build_world, kefu_of(client))
