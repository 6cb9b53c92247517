"""Finding (Critical): a server started without KEFU_ENV=production signed customer
tokens with the published development secret, and the README suggested binding 0.0.0.0."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from kefu.clock import FakeClock
from kefu.settings import DEV_SECRET, Settings
from tests.security.conftest import AppFactory, legacy_token, world_in


def _settings(tmp_path: Path, **values: object) -> Settings:
    base: dict[str, object] = {
        "env": "development",
        "database_url": f"sqlite:///{tmp_path / 'kefu.db'}",
        "data_dir": tmp_path / "var",
    }
    base.update(values)
    return Settings(**base)  # type: ignore[arg-type]


def test_unconfigured_secret_is_random_generated_once_and_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEFU_SECRET_KEY", raising=False)
    first = _settings(tmp_path)
    assert first.secret_key != DEV_SECRET and len(first.secret_key) >= 32
    path = tmp_path / "var" / "secret_key"
    assert path.read_text().strip() == first.secret_key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _settings(tmp_path).secret_key == first.secret_key  # stable across restarts
    assert _settings(tmp_path / "other").secret_key != first.secret_key


def test_published_secret_refused_on_a_reachable_address(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "192.0.2.7", "::"):
        with pytest.raises(ValueError):
            _settings(tmp_path, secret_key=DEV_SECRET, host=host)
        with pytest.raises(ValueError):
            _settings(tmp_path, secret_key="short", host=host)
    assert _settings(tmp_path, secret_key=DEV_SECRET, host="127.0.0.1").secret_key
    assert _settings(tmp_path, host="0.0.0.0").secret_key != DEV_SECRET


def test_customer_token_forged_with_the_published_secret_is_refused(
    make_client: AppFactory, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEFU_SECRET_KEY", raising=False)
    client = make_client(unset=("secret_key",), env="development")
    world = world_in(client)
    exp = int((clock.now() + timedelta(hours=1)).timestamp())
    forged = legacy_token(
        {"t": world.tenant_id, "c": world.customers["m1"], "exp": exp}, DEV_SECRET
    )
    r = client.get("/api/v1/conversations", headers={"Authorization": f"Bearer kfc_{forged}"})
    assert r.status_code == 401, r.text
    genuine = client.get(
        "/api/v1/conversations",
        headers={"Authorization": f"Bearer {world.customer_tokens['m1']}"},
    )
    assert genuine.status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_kefu_serve_refuses_to_bind_everywhere_with_the_published_secret(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KEFU_SECRET_KEY": DEV_SECRET,
        "KEFU_DATA_DIR": str(tmp_path / "var"),
        "KEFU_DATABASE_URL": f"sqlite:///{tmp_path / 'kefu.db'}",
    }
    env.pop("KEFU_HOST", None)
    cmd = [sys.executable, "-m", "kefu.cli", "serve", "--host", "0.0.0.0"]
    cmd += ["--port", str(_free_port())]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("kefu serve started on 0.0.0.0 with the published development secret")
    assert done.returncode != 0
    assert "secret" in done.stderr.lower()
