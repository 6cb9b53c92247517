"""Pinyin variants of the training corpus (machine transliteration, not a voice).

    python -m kefu.nlu.data.make_pinyin        # rewrites corpus/pinyin_augmented.jsonl

Buyers type pinyin when their input method is off (``wo de chongzhi meidao``). A third
of the Chinese training lines (chosen by a hash of the text, so the file is
reproducible) are transliterated with ``pypinyin`` word by word (the domain segmenter
keeps 转人工, 到账 ... whole); one in three of those is run together without spaces.
Digits, latin and punctuation stay as they are. Lines equal to an evaluation text are
dropped. ``writer`` is ``pypinyin`` and ``source`` names the original voice; these lines
are *not* counted as written utterances in docs/bot.md.
Needs ``pypinyin`` (a development dependency, not needed at run time).
"""

from __future__ import annotations

import hashlib
import json
import re

from kefu.nlu.data.import_corpus import CORPUS, DATA, _key, protected_keys
from kefu.nlu.segment import segment

TARGET = CORPUS / "pinyin_augmented.jsonl"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def transliterate(text: str, joined: bool) -> str:
    from pypinyin import lazy_pinyin

    words: list[str] = []
    for word in segment(text):
        if _CJK.search(word):
            words.append("".join(lazy_pinyin(word)))
        elif word.strip():
            words.append(word.strip())
    return ("" if joined else " ").join(words)


def main() -> int:
    protected = protected_keys()
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    sources = [DATA / "train.jsonl", *sorted(p for p in CORPUS.glob("*.jsonl") if p != TARGET)]
    for path in sources:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            text = str(row["text"])
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            if not _CJK.search(text) or digest[1] % 3 != 0:
                continue
            variant = transliterate(text, joined=digest[2] % 3 == 0)
            key = _key(variant)
            if not variant or key in protected or key in seen:
                continue
            seen.add(key)
            rows.append(
                {
                    "text": variant,
                    "intent": row["intent"],
                    "style": "pinyin_augmented",
                    "handoff": row.get("handoff"),
                    "urgent": row.get("urgent"),
                    "lang": "zh",
                    "writer": "pypinyin",
                    "source": row.get("writer") or path.stem,
                }
            )
    with TARGET.open("w", encoding="utf-8") as fh:
        for item in rows:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"{TARGET.name}: {len(rows)} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
