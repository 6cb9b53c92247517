"""docs/settings.md names every KEFU_* variable kefu reads: each field of Settings and of
the live-connection settings, and every variable read straight from the environment."""

from __future__ import annotations

import re
from pathlib import Path

from kefu.settings import Settings
from kefu.web.live.config import RealtimeSettings

ROOT = Path(__file__).parents[1]
DOCUMENTED = set(re.findall(r"`(KEFU_[A-Z0-9_]+)`", (ROOT / "docs/settings.md").read_text()))


def test_every_setting_has_a_row_in_docs_settings() -> None:
    wanted = {f"KEFU_{name.upper()}" for name in Settings.model_fields}
    wanted |= {f"KEFU_WS_{name.upper()}" for name in RealtimeSettings.model_fields}
    assert wanted - DOCUMENTED == set()


def test_every_variable_read_from_the_environment_is_documented() -> None:
    read = set()
    for path in (ROOT / "src/kefu").rglob("*.py"):
        read |= set(re.findall(r"environ(?:\.get)?\(\s*\"(KEFU_[A-Z0-9_]+)\"", path.read_text()))
    assert read, "the scan found nothing: the pattern is wrong"
    assert read - DOCUMENTED == set()
