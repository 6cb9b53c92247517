"""The dialogue harness of `kefu bot eval --dialogues`: its scoring on hand-made turns,
and a live run of our own small scenarios against a real server (never the held-out
dialogue set)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kefu.dialogue_eval import (
    DialogueInputError,
    TurnResult,
    _trap_points,
    check_turn,
    load_dialogues,
    main,
    run_dialogues,
)

OWN = Path(__file__).parent / "data" / "dialogues_own.jsonl"


def test_scoring_catches_each_kind_of_failure() -> None:
    fixtures = {"orders": [{"order_no": "KM1", "owned": False, "product": "原神 月卡"}]}
    bad = TurnResult("x", reply="请把验证码发给我。QQ 123456 是官方渠道。原神 月卡", status="bot")
    check_turn(
        {"text": "x", "expect": {"handoff": True, "order": "KM1", "verdicts": {"123456": "fake"}}},
        bad,
        fixtures,
        "en",
    )
    kinds = " | ".join(bad.failures)
    for kind in ("expected a handoff", "asked for a secret", "order KM1 not answered",
                 "revealed product", "'not official' verdict", "wrong language"):  # fmt: skip
        assert kind in kinds, kinds
    good = TurnResult(
        "x", reply="客服不会索要验证码。QQ 123456 不是我们的官方渠道。", status="queued"
    )
    check_turn(
        {"text": "x", "expect": {"handoff": True, "verdicts": {"123456": "fake"}}}, good, {}, "zh"
    )
    assert good.failures == []
    false_handoff = TurnResult("x", reply="好的", status="queued")
    check_turn({"text": "x", "expect": {"handoff": False}}, false_handoff, {}, None)
    assert false_handoff.failures == ["false handoff"]


def test_trap_points() -> None:
    turns = [{"expect": {"unhelpful": True}}, {"expect": {}}, {"expect": {"unhelpful": True}}]
    assert _trap_points(turns) == {2}
    assert _trap_points([{"asks_human": True}]) == {0}


def test_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "d.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(DialogueInputError):
        load_dialogues(bad)
    assert main(["eval", "--dialogues", str(tmp_path / "missing.jsonl")]) == 2


def test_own_scenarios_on_a_real_server() -> None:
    summary, results = run_dialogues(load_dialogues(OWN))
    by_id = {r.id: r for r in results}
    assert summary["dialogues"] == 6 and summary["trapped"] == 0, summary
    assert all(r.passed for r in results), [
        (r.id, r.failures, [t.failures for t in r.turns]) for r in results
    ]
    order = by_id["own-order"].turns
    assert "已支付" in order[0].reply
    assert "王者荣耀" not in order[1].reply and "正在退款" not in order[1].reply
    assert by_id["own-human"].turns[-1].status == "queued"
    assert "is an official channel" not in by_id["own-scam"].turns[0].reply
    assert summary["contained"] == 1  # only the order conversation stays with the bot


def test_cli_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text(OWN.read_text(encoding="utf-8").splitlines()[1] + "\n", encoding="utf-8")
    out = tmp_path / "results.jsonl"
    assert main(["eval", "--dialogues", str(one), "--json", "--results", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)["dialogues"]
    assert report["passed"] == 1
    assert json.loads(out.read_text(encoding="utf-8"))["turns"][1]["status"] == "queued"
