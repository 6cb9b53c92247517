"""`kefu bench bot` runs the real engine and prints figures next to its baseline (a
smoke test: figures are read from the benchmark, never asserted as timings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kefu.cli import main


def test_bench_bot_reports_the_bot_and_a_same_run_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = ["充值没到账 D202611300012345", "我的号被盗了", "转人工", "hello, refund please"]
    path = tmp_path / "few.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    assert main(["bench", "bot", "--file", str(path), "--rounds", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["messages"] == 8
    for key in ("bot_ms", "baseline_ms"):
        q = report[key]
        assert 0 < q["p50"] <= q["p95"] <= q["p99"] <= q["max"]
    assert isinstance(report["encoder"], str)
