from __future__ import annotations

import pytest

from kefu.nlu.pipeline import NluEngine
from kefu.nlu.retrieve import KnowledgeIndex


@pytest.fixture(scope="session")
def engine() -> NluEngine:
    # Trained once (or loaded from the joblib cache under ./var/nlu).
    return NluEngine.default()


@pytest.fixture(scope="session")
def index() -> KnowledgeIndex:
    return KnowledgeIndex.default()
