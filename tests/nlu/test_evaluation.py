from __future__ import annotations

import json
from pathlib import Path

import pytest

from kefu.nlu.evaluation import main

ROWS = [
    {
        "id": "1",
        "text": "充值没到账",
        "intent": "recharge_not_received",
        "style": "short",
        "handoff": False,
        "urgent": False,
        "sensitive": False,
    },
    {
        "id": "2",
        "text": "转人工",
        "intent": "human_agent",
        "style": "short",
        "handoff": True,
        "urgent": False,
        "sensitive": False,
    },
    {
        "id": "3",
        "text": "号被盗了，验证码123456给了别人",
        "intent": "account_security",
        "style": "plain",
        "handoff": True,
        "urgent": True,
        "sensitive": True,
    },
    {
        "id": "4",
        "text": "充的点券没到账，订单KM20261122153012345 手机13812345678",
        "intent": "recharge_not_received",
        "style": "long",
        "handoff": False,
        "urgent": False,
        "sensitive": False,
    },
]


def test_eval_json_and_predictions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "small.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), "utf-8")
    out = tmp_path / "pred.jsonl"
    assert main([str(data), "--json", "--predictions", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 4
    assert report["accuracy"] == 100.0
    assert report["redaction"]["recall"] == 100.0
    assert report["redaction"]["protected_numbers_masked"] == 0
    assert report["handoff"]["recall"] == 100.0
    assert "baseline" in report and "per_style" in report
    preds = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [p["id"] for p in preds] == ["1", "2", "3", "4"]
    assert set(preds[0]) == {
        "id",
        "text",
        "intent",
        "confidence",
        "handoff",
        "urgent",
        "reason",
        "lang",
        "redacted_text",
    }
    assert "123456" not in preds[2]["redacted_text"]


def test_eval_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "small.jsonl"
    data.write_text(json.dumps(ROWS[0], ensure_ascii=False) + "\n", "utf-8")
    assert main([str(data), "--no-baseline"]) == 0
    assert "accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("content", ["not json\n", '{"text": "x"}\n', "[1, 2]\n", ""])
def test_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text(content, "utf-8")
    assert main([str(data)]) == 2
    assert "error:" in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
