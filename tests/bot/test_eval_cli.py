"""`kefu bot eval FILE.jsonl` from the command line, on a small file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KEFU = Path(sys.executable).parent / "kefu"

ROWS = [
    {"text": "充值了半小时还没到账", "intent": "recharge_not_received", "handoff": False},
    {"text": "转人工", "intent": "human_agent", "handoff": True},
    {"text": "我的号被盗了", "intent": "account_security", "handoff": True, "urgent": True},
    {"text": "我要退款", "intent": "refund", "handoff": False},
]


def test_kefu_bot_eval_cli(tmp_path: Path) -> None:
    data = tmp_path / "small.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS), encoding="utf-8")
    out = tmp_path / "pred.jsonl"
    done = subprocess.run(
        [str(KEFU), "bot", "eval", str(data), "--json", "--no-baseline", "--predictions", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["n"] == 4
    assert report["accuracy"] == 100.0
    assert report["handoff"]["recall"] == 100.0
    predictions = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(predictions) == 4
    text = subprocess.run(
        [str(KEFU), "bot", "eval", str(data), "--no-baseline"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert text.returncode == 0 and "accuracy" in text.stdout


def test_kefu_bot_eval_cli_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    done = subprocess.run(
        [str(KEFU), "bot", "eval", str(bad)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 2 and "not valid JSON" in done.stderr
