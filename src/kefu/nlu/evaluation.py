"""``kefu bot eval FILE.jsonl [--json] [--predictions OUT.jsonl]``

Runs every line of FILE through the engine (``NluEngine.default()``) and the policy with a
fresh bot state, and reports: accuracy (overall and per style), macro-F1, per-intent
precision/recall, the most confused pairs, handoff precision/recall, urgent recall,
redaction recall and false-positive rate, latency p50/p99 — next to a plain TF-IDF +
LogisticRegression baseline trained on the same training data in the same run.

Also runnable as ``python -m kefu.nlu.evaluation FILE``. Exit codes: 0 ok, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

__all__ = ["EvalInputError", "evaluate", "load_rows", "main"]


class EvalInputError(Exception):
    pass


def load_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise EvalInputError(f"{path}: no such file")
    rows: list[dict[str, Any]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalInputError(f"{path}: cannot read as UTF-8 text ({exc})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise EvalInputError(f"{path}:{number}: expected a JSON object")
        if not isinstance(row.get("text"), str) or not isinstance(row.get("intent"), str):
            raise EvalInputError(f"{path}:{number}: needs string fields 'text' and 'intent'")
        row.setdefault("id", str(number))
        rows.append(row)
    if not rows:
        raise EvalInputError(f"{path}: no examples")
    return rows


def _pct(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 2) if den else None


def _prf(gold: list[str], pred: list[str]) -> tuple[dict[str, dict[str, Any]], float]:
    labels = sorted(set(gold) | set(pred))
    per: dict[str, dict[str, Any]] = {}
    f1s: list[float] = []
    for label in sorted(set(gold)):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per[label] = {
            "precision": round(100 * precision, 2),
            "recall": round(100 * recall, 2),
            "support": tp + fn,
        }
        f1s.append(f1)
    del labels
    return per, round(100 * sum(f1s) / len(f1s), 2) if f1s else 0.0


_PROTECTED_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:KM|km)\d{14,20}|(?<!\d)1[3-9]\d{9}(?!\d)"
    r"|(?:订单号?|单号)\s*[:：]?\s*\d{16,24}"
)


def _baseline(texts: list[str]) -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from kefu.nlu.classifier import load_examples

    examples = load_examples()  # the whole training corpus, as the engine
    model = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 3)),
        LogisticRegression(max_iter=2000, random_state=0),
    )
    model.fit([t for t, _ in examples], [i for _, i in examples])
    return [str(p) for p in model.predict(texts)]


def evaluate(
    rows: list[dict[str, Any]], *, baseline: bool = True
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from kefu.domain.redaction import redact
    from kefu.nlu.pipeline import NluEngine
    from kefu.nlu.policy import CONFIDENCE_THRESHOLD, BotState, decide
    from kefu.nlu.retrieve import KnowledgeIndex

    engine = NluEngine.default().warm()
    index = KnowledgeIndex.default()
    predictions: list[dict[str, Any]] = []
    latencies: list[float] = []
    for row in rows:
        start = time.perf_counter()
        u = engine.understand(row["text"], lang_hint=row.get("widget_lang"))
        decision = decide(u, BotState(), index)
        latencies.append((time.perf_counter() - start) * 1000)
        predictions.append(
            {
                "id": row["id"],
                "text": row["text"],
                "intent": u.intent,
                "confidence": u.confidence,
                "handoff": decision.handoff,
                "urgent": decision.urgent,
                "reason": decision.reason,
                "lang": decision.lang,
                "redacted_text": u.redacted_text,
            }
        )
    gold = [r["intent"] for r in rows]
    pred = [p["intent"] for p in predictions]
    correct = [g == p for g, p in zip(gold, pred, strict=True)]
    per_style: dict[str, dict[str, Any]] = {}
    for style in sorted({str(r.get("style", "")) for r in rows if r.get("style")}):
        idx = [i for i, r in enumerate(rows) if r.get("style") == style]
        per_style[style] = {"accuracy": _pct(sum(correct[i] for i in idx), len(idx)), "n": len(idx)}
    per_intent, macro_f1 = _prf(gold, pred)
    confused = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)

    def binary(field: str, flag: str) -> dict[str, Any]:
        labelled = [i for i, r in enumerate(rows) if isinstance(r.get(field), bool)]
        tp = sum(1 for i in labelled if rows[i][field] and predictions[i][flag])
        fp = sum(1 for i in labelled if not rows[i][field] and predictions[i][flag])
        fn = sum(1 for i in labelled if rows[i][field] and not predictions[i][flag])
        return {"precision": _pct(tp, tp + fp), "recall": _pct(tp, tp + fn), "n": len(labelled)}

    sens = [i for i, r in enumerate(rows) if isinstance(r.get("sensitive"), bool)]
    masked = [redact(rows[i]["text"]).changed for i in range(len(rows))]
    caught = sum(1 for i in sens if rows[i]["sensitive"] and masked[i])
    secret_lines = sum(1 for i in sens if rows[i]["sensitive"])
    false_lines = sum(1 for i in sens if not rows[i]["sensitive"] and masked[i])
    clean_lines = len(sens) - secret_lines
    protected_total = protected_masked = 0
    for i, row in enumerate(rows):
        for m in _PROTECTED_RE.finditer(row["text"]):
            protected_total += 1
            if m.group(0) not in predictions[i]["redacted_text"]:
                protected_masked += 1
    secrets_total = secrets_masked = keep_total = keep_masked = 0
    for i, row in enumerate(rows):
        shown = predictions[i]["redacted_text"]
        for secret in row.get("secrets") or []:
            secrets_total += 1
            secrets_masked += str(secret) not in shown
        for item in row.get("keep") or []:
            keep_total += 1
            keep_masked += str(item) not in shown
    # the customer got an answer (not a handoff, not "what I can help with") on the
    # wrong topic
    gave_answer = ("answer", "order_status", "channel_verify", "greeting")
    answered = [
        i for i, p in enumerate(predictions) if not p["handoff"] and p["reason"] in gave_answer
    ]
    answered_wrong = sum(1 for i in answered if not correct[i])
    confident_wrong = sum(
        1
        for i, p in enumerate(predictions)
        if not correct[i] and p["confidence"] >= CONFIDENCE_THRESHOLD
    )
    by_lang: dict[str, dict[str, Any]] = {}
    for lang in sorted({str(r.get("lang")) for r in rows if r.get("lang") in ("zh", "en")}):
        idx = [i for i, r in enumerate(rows) if r.get("lang") == lang]
        same = sum(1 for i in idx if predictions[i]["lang"] == lang)
        by_lang[lang] = {"n": len(idx), "answered_in_lang": _pct(same, len(idx))}
    ordered = sorted(latencies)

    def quantile(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    report: dict[str, Any] = {
        "n": len(rows),
        "accuracy": _pct(sum(correct), len(rows)),
        "macro_f1": macro_f1,
        "per_style": per_style,
        "per_intent": per_intent,
        "confused": [
            {"gold": g, "predicted": p, "count": c} for (g, p), c in confused.most_common(10)
        ],
        "handoff": binary("handoff", "handoff"),
        "urgent": binary("urgent", "urgent"),
        "account_security_recall": per_intent.get("account_security", {}).get("recall"),
        "redaction": {
            "recall": _pct(caught, secret_lines),
            "secret_lines": secret_lines,
            "false_positive_rate": _pct(false_lines, clean_lines),
            "clean_lines": clean_lines,
            "protected_numbers": protected_total,
            "protected_numbers_masked": protected_masked,
            "secrets": secrets_total,
            "secrets_masked": _pct(secrets_masked, secrets_total),
            "keep_items": keep_total,
            "keep_items_masked": keep_masked,
        },
        "confident_wrong": {
            "threshold": CONFIDENCE_THRESHOLD,
            "count": confident_wrong,
            "pct": _pct(confident_wrong, len(rows)),
            "answered": len(answered),
            "answered_wrong": answered_wrong,
            "answered_wrong_pct": _pct(answered_wrong, len(rows)),
        },
        "language": by_lang,
        "false_handoffs": sum(
            1 for i, r in enumerate(rows) if r.get("handoff") is False and predictions[i]["handoff"]
        ),
        "encoder": engine.classifier.encoder_name,
        "latency_ms": {"p50": quantile(0.5), "p99": quantile(0.99), "max": round(ordered[-1], 3)},
    }
    if baseline:
        base = _baseline([r["text"] for r in rows])
        base_ok = sum(1 for g, b in zip(gold, base, strict=True) if g == b)
        _, base_f1 = _prf(gold, base)
        base_style = {
            s: _pct(
                sum(1 for i, r in enumerate(rows) if r.get("style") == s and base[i] == gold[i]),
                v["n"],
            )
            for s, v in per_style.items()
        }
        report["baseline"] = {
            "name": "raw char 1-3 TF-IDF + LogisticRegression",
            "accuracy": _pct(base_ok, len(rows)),
            "macro_f1": base_f1,
            "per_style": base_style,
        }
    return report, predictions


def _print(report: dict[str, Any], out: Any) -> None:
    def p(*parts: object) -> None:
        print(*parts, file=out)

    base = report.get("baseline")
    p(f"examples: {report['n']}")
    line = f"accuracy: {report['accuracy']}%   macro-F1: {report['macro_f1']}%"
    if base:
        line += f"   (baseline: {base['accuracy']}% / {base['macro_f1']}%)"
    p(line)
    p("per style:")
    for style, v in report["per_style"].items():
        extra = f"   baseline {base['per_style'][style]}%" if base else ""
        p(f"  {style:<12} {v['accuracy']:>6}%  n={v['n']}{extra}")
    p("per intent:            precision  recall  support")
    for intent, v in report["per_intent"].items():
        p(f"  {intent:<22} {v['precision']:>7}% {v['recall']:>6}%  {v['support']}")
    p("most confused (gold -> predicted):")
    for c in report["confused"]:
        p(f"  {c['gold']} -> {c['predicted']}: {c['count']}")
    h, u, r, lat = report["handoff"], report["urgent"], report["redaction"], report["latency_ms"]
    p(
        f"handoff: precision {h['precision']}%  recall {h['recall']}%  "
        f"false handoffs {report['false_handoffs']}"
    )
    p(
        f"urgent: recall {u['recall']}%   "
        f"account_security recall {report['account_security_recall']}%"
    )
    p(
        f"redaction: recall {r['recall']}% ({r['secret_lines']} secret lines)  false-positive rate "
        f"{r['false_positive_rate']}% ({r['clean_lines']} clean lines)  order/phone numbers masked "
        f"{r['protected_numbers_masked']}/{r['protected_numbers']}"
    )
    if r["secrets"] or r["keep_items"]:
        p(
            f"secrets masked: {r['secrets_masked']}% of {r['secrets']}   keep-items masked: "
            f"{r['keep_items_masked']} of {r['keep_items']}"
        )
    cw = report["confident_wrong"]
    p(
        f"confident-wrong (wrong intent, confidence >= {cw['threshold']}): {cw['count']} "
        f"({cw['pct']}%)   wrong answers given: {cw['answered_wrong']} of {cw['answered']} "
        f"answered ({cw['answered_wrong_pct']}% of all)"
    )
    for lang, v in report["language"].items():
        p(f"language {lang}: {v['answered_in_lang']}% answered in {lang} (n={v['n']})")
    p(
        f"latency per message (understand + decide, encoder {report['encoder']}): "
        f"p50 {lat['p50']} ms  p99 {lat['p99']} ms"
    )


def main(argv: list[str]) -> int:
    # `kefu bot eval FILE` passes ["eval", FILE, ...]; `python -m kefu.nlu.evaluation FILE` not.
    if argv and argv[0] == "eval":
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="kefu bot eval", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--predictions", type=Path, help="write per-line predictions (JSONL)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline model")
    args = parser.parse_args(argv)
    try:
        rows = load_rows(args.file)
    except EvalInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report, predictions = evaluate(rows, baseline=not args.no_baseline)
    if args.predictions is not None:
        with args.predictions.open("w", encoding="utf-8") as fh:
            for item in predictions:
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        _print(report, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
