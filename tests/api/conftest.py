from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kefu.actions.context import Kefu
from kefu.clock import FakeClock
from kefu.settings import Settings
from kefu.web.app import create_app
from tests.world import As, World, build_world


@pytest.fixture
def client(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as c:
        yield c


def kefu_of(client: TestClient) -> Kefu:
    kefu: Kefu = client.app.state.kefu  # type: ignore[attr-defined]
    return kefu


@pytest.fixture
def world(client: TestClient) -> World:
    assert client.portal is not None
    return client.portal.call(build_world, kefu_of(client))


@pytest.fixture
def other_world(client: TestClient) -> World:
    assert client.portal is not None
    return client.portal.call(build_world, kefu_of(client))


@pytest.fixture
def machine(client: TestClient, world: World) -> As:
    return As(client, token=world.machine_token)


@pytest.fixture
def customer(client: TestClient, world: World) -> As:
    return As(client, token=world.customer_tokens["m1"])


@pytest.fixture
def customer2(client: TestClient, world: World) -> As:
    return As(client, token=world.customer_tokens["m2"])


@pytest.fixture
def alice(client: TestClient, world: World) -> As:
    return As.staff(client, world.emails["alice"])


@pytest.fixture
def bob(client: TestClient, world: World) -> As:
    return As.staff(client, world.emails["bob"])


@pytest.fixture
def supervisor(client: TestClient, world: World) -> As:
    return As.staff(client, world.emails["supervisor"])


@pytest.fixture
def admin(client: TestClient, world: World) -> As:
    return As.staff(client, world.emails["admin"])
