"""Bring a voice of the training corpus into the package.

    python -m kefu.nlu.data.import_corpus /work/corpus-data/gamers.jsonl [...]

Each file is one population of buyers written by one writer (``writer`` field kept on
every line). Lines are validated (known intent, text present), de-duplicated within the
corpus and against every evaluation file (``dev.jsonl`` and ``eval/*.jsonl``) after
normalisation (so a traditional or full-width copy of an evaluation text is dropped
too), and written to ``corpus/<voice>.jsonl`` sorted as they came. Only exact
duplicates are removed: the evaluation texts are never read for anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kefu.nlu.intents import INTENT_CODES
from kefu.nlu.normalise import normalise

DATA = Path(__file__).resolve().parent
CORPUS = DATA / "corpus"
FIELDS = ("text", "intent", "style", "handoff", "urgent", "lang", "writer")


def _key(text: str) -> str:
    return "".join(normalise(text).split())


def protected_keys() -> set[str]:
    """Normalised texts of every evaluation file (never to be trained on)."""
    keys: set[str] = set()
    for path in [DATA / "dev.jsonl", *sorted((DATA / "eval").glob("*.jsonl"))]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            texts = [row.get("text")]
            for turn in row.get("turns") or []:
                texts.append(turn.get("text") or turn.get("customer") or turn.get("say"))
            keys.update(_key(t) for t in texts if isinstance(t, str))
    return keys


def import_voice(source: Path, seen: set[str], protected: set[str]) -> tuple[int, int, int]:
    voice = source.stem
    kept: list[dict[str, object]] = []
    dropped_eval = dropped_dup = 0
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a file still being written may end in half a line
        text, intent = row.get("text"), row.get("intent")
        if not isinstance(text, str) or not text.strip() or intent not in INTENT_CODES:
            continue
        key = _key(text)
        if key in protected:
            dropped_eval += 1
            continue
        if key in seen:
            dropped_dup += 1
            continue
        seen.add(key)
        out = {f: row.get(f) for f in FIELDS}
        out["writer"] = row.get("writer") or voice
        kept.append(out)
    target = CORPUS / f"{voice}.jsonl"
    with target.open("w", encoding="utf-8") as fh:
        for item in kept:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return len(kept), dropped_eval, dropped_dup


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args(argv)
    CORPUS.mkdir(exist_ok=True)
    protected = protected_keys()
    seen = {_key(json.loads(x)["text"]) for x in (DATA / "train.jsonl").open(encoding="utf-8")}
    names = {p.stem for p in args.files}
    for other in sorted(CORPUS.glob("*.jsonl")):  # voices already in, not re-imported now
        if other.stem not in names:
            for line in other.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    seen.add(_key(json.loads(line)["text"]))
    for path in sorted(args.files):
        kept, dropped_eval, dropped_dup = import_voice(path, seen, protected)
        print(f"{path.stem}: kept {kept}, dropped {dropped_eval} equal to an evaluation text, "
              f"{dropped_dup} duplicates")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
