"""`kefu bench bot`: the bot's time per customer message, on the shipped engine.

    kefu bench bot [--file src/kefu/nlu/data/eval/dev_independent.jsonl] [--rounds 3]

One message = ``understand`` (redact, normalise, segment, entities, classify, sentiment,
language, feedback) + ``decide`` (policy with the shipped knowledge index), timed one
message at a time, exactly as the bot turn does it (``kefu.actions.bot_turns``).
The engine is loaded (or trained, on a fresh cache) and warmed first, as the server
does at start-up; the load and warm-up times are printed apart.

Baseline, measured in the same run on the same messages: a plain character 1-3-gram
TF-IDF + LogisticRegression trained on the same corpus, ``predict`` alone (no
redaction, rules, policy or retrieval): the floor of any scikit-learn classifier here.
Goal (issue 10): p99 < 30 ms per message on the 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

DEFAULT_FILE = (
    Path(__file__).resolve().parents[1] / "nlu" / "data" / "eval" / "dev_independent.jsonl"
)
GOAL_P99_MS = 30.0


def _quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def q(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 3)

    return {"p50": q(0.5), "p95": q(0.95), "p99": q(0.99), "max": round(ordered[-1], 3)}


def _texts(path: Path) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [str(r["text"]) for r in rows if r.get("text")]


def measure(texts: list[str], rounds: int) -> dict[str, object]:
    from kefu.nlu.pipeline import NluEngine
    from kefu.nlu.policy import BotState, decide
    from kefu.nlu.retrieve import KnowledgeIndex

    started = time.perf_counter()
    engine = NluEngine.default()
    index = KnowledgeIndex.default()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    engine.warm()
    warmed = time.perf_counter() - started

    bot: list[float] = []
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            decide(engine.understand(text), BotState(turns=1), index)
            bot.append((time.perf_counter() - t0) * 1000)

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from kefu.nlu.classifier import load_examples

    examples = load_examples()
    baseline = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3)),
        LogisticRegression(max_iter=2000, random_state=0),
    )
    baseline.fit([t for t, _ in examples], [i for _, i in examples])
    base: list[float] = []
    for _ in range(rounds):
        for text in texts:
            t0 = time.perf_counter()
            baseline.predict([text])
            base.append((time.perf_counter() - t0) * 1000)
    return {
        "messages": len(bot),
        "encoder": engine.classifier.encoder_name,
        "load_s": round(loaded, 2),
        "warm_s": round(warmed, 3),
        "bot_ms": _quantiles(bot),
        "baseline_ms": _quantiles(base),
        "goal_p99_ms": GOAL_P99_MS,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kefu bench bot")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="messages (JSONL)")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    report = measure(_texts(args.file), max(1, args.rounds))
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    bot, base = report["bot_ms"], report["baseline_ms"]
    assert isinstance(bot, dict) and isinstance(base, dict)
    print(f"kefu bench bot: {report['messages']} messages ({args.file.name}), "
          f"encoder {report['encoder']}")  # fmt: skip
    print(f"  engine load {report['load_s']} s, warm-up {report['warm_s']} s (server start-up)")
    for name, q in (("bot (understand + decide)", bot), ("baseline TF-IDF predict", base)):
        print(f"  {name:26} p50 {q['p50']} ms  p95 {q['p95']} ms  p99 {q['p99']} ms  "
              f"max {q['max']} ms")  # fmt: skip
    verdict = "met" if bot["p99"] < GOAL_P99_MS else "NOT met"
    print(f"  goal p99 < {GOAL_P99_MS:g} ms: {verdict}")
    return 0
