"""The bot's model is ready when the server starts, not on the first message."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kefu.nlu.pipeline import NluEngine
from kefu.settings import Settings
from kefu.web.app import create_app


def test_app_start_loads_and_warms_the_engine(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = NluEngine.default()
    warmed: list[NluEngine] = []
    original = NluEngine.warm

    def spy(self: NluEngine) -> NluEngine:
        warmed.append(self)
        return original(self)

    monkeypatch.setattr(NluEngine, "warm", spy)
    monkeypatch.setattr(NluEngine, "_default", None)
    with TestClient(create_app(settings)):
        # started, no request made yet: the engine is there and has run a message
        assert NluEngine._default is not None
        assert warmed == [NluEngine._default]
    assert warmed[0].classifier.key == loaded.classifier.key
