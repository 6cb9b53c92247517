"""Generate the labelled corpus: ``train.jsonl`` and ``dev.jsonl`` next to this file.

    python -m kefu.nlu.data.make_corpus            # rewrite both files
    python -m kefu.nlu.data.make_corpus --check    # exit 1 if the files are stale

Deterministic (seeded RNG). Train and dev come from *separate* phrasings
(``phrases_train.py`` / ``phrases_dev.py``), separate long/angry wrappers and separate
time expressions; only the style transforms (typo, traditional, mixed) and the slot
gazetteers are shared. Dev texts that happen to equal a train text are dropped.
"""

from __future__ import annotations

import json
import random
import re
import string
import sys
from pathlib import Path
from typing import Any

from kefu.nlu.data import phrases_dev, phrases_train
from kefu.nlu.intents import HANDOFF_INTENTS, INTENT_CODES, URGENT_INTENTS

HERE = Path(__file__).resolve().parent
SEED = 20261122
STYLES = (
    "plain",
    "colloquial",
    "typo",
    "short",
    "long",
    "traditional",
    "mixed",
    "implicit",
    "angry",
)
# Per-intent style weights (short is capped by the number of short forms).
STYLE_WEIGHTS = {
    "plain": 20,
    "colloquial": 14,
    "typo": 11,
    "short": 5,
    "long": 11,
    "traditional": 10,
    "mixed": 9,
    "implicit": 10,
    "angry": 10,
}
PER_INTENT = {"train": 145, "dev": 38}
SECRETS_PER_INTENT = {"train": 10, "dev": 5}

PRODUCTS = [
    "王者荣耀点券",
    "和平精英UC",
    "原神创世结晶",
    "Q币",
    "话费",
    "腾讯视频会员",
    "爱奇艺会员",
    "Steam钱包",
    "网易一卡通",
    "英雄联盟点券",
    "优酷会员",
    "京东E卡",
    "流量包",
    "骏网一卡通",
    "梦幻西游点卡",
]
AMOUNTS = ["10", "30", "50", "100", "200", "328", "648", "68", "98", "500", "1000", "30.5"]
TIMES = {
    "train": ["昨天", "今天上午", "10分钟前", "2小时前", "昨晚8点", "前天", "半小时前", "早上9点"],
    "dev": ["刚才", "今天下午3点", "30分钟前", "一个小时前", "2026-11-22 15:30", "中午12点"],
}
SITES = [
    "kameng-kf.com",
    "www.kamengpay.cn",
    "km-service.top",
    "kameng.com",
    "help.kameng.com",
    "kamengvip.xyz",
]
WECHAT_IDS = ["kamengkf01", "km_service", "kefu-8899", "kamengvip", "wxkf2026"]

TYPO_MAP = {
    "充值": ["冲值", "重值"],
    "到账": ["到帐", "道账"],
    "退款": ["退欵", "退宽", "推款"],
    "卡密": ["卡蜜", "卡米"],
    "客服": ["客付", "课服"],
    "人工": ["人公", "认工"],
    "账号": ["帐号", "账好"],
    "投诉": ["投素", "头诉"],
    "提现": ["体现", "提先"],
    "冻结": ["冻洁", "东结"],
    "验证码": ["验正码"],
    "订单": ["定单"],
    "话费": ["话废", "化费"],
    "会员": ["会圆"],
    "支付": ["支负"],
    "怎么": ["怎莫", "肿么"],
    "什么": ["神马"],
    "没有": ["木有", "米有"],
    "在吗": ["在嘛", "在马"],
    "被盗": ["被到"],
    "官方": ["关方"],
    "密码": ["密马"],
    "充": ["冲"],
}
MIXED_MAP = {
    "退款": ["tui kuan", "refund", "tuikuan"],
    "充值": ["chong zhi", "recharge", "top up"],
    "到账": ["dao zhang", "daozhang"],
    "转人工": ["zhuan ren gong", "zhuanrengong"],
    "人工": ["ren gong", "human"],
    "客服": ["ke fu", "kefu"],
    "订单": ["ding dan", "order"],
    "提现": ["ti xian", "withdraw"],
    "卡密": ["ka mi", "card key"],
    "会员": ["vip", "hui yuan"],
    "微信": ["vx", "wx"],
    "密码": ["pwd"],
    "投诉": ["tou su", "complain"],
    "账号": ["account", "zhanghao"],
    "冻结": ["dong jie", "frozen"],
    "官方": ["guan fang", "official"],
    "你好": ["hello", "hi"],
    "在吗": ["zai ma"],
    "被盗": ["bei dao", "hacked"],
    "话费": ["hua fei"],
    "支付": ["pay"],
    "失败": ["fail", "failed"],
    "登录": ["login"],
}
MIXED_TAILS = [" pls", " asap", " thx", " help", " ok?"]


def _luhn_complete(prefix: str) -> str:
    for last in "0123456789":
        digits = prefix + last
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return digits
    raise AssertionError("unreachable")


def _id_number(rng: random.Random) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    area = rng.choice(["110105", "310104", "440305", "510107", "330106"])
    birth = f"{rng.randint(1970, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = area + birth + f"{rng.randint(0, 999):03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _bank_card(rng: random.Random) -> str:
    prefix = rng.choice(["622202", "621700", "622848", "625807", "436742"])
    length = rng.choice([16, 16, 19])
    digits = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    card = _luhn_complete(digits)
    if rng.random() < 0.4:
        return " ".join(card[i : i + 4] for i in range(0, len(card), 4))
    return card


def _slots(rng: random.Random, split: str) -> dict[str, str]:
    alnum = string.ascii_uppercase + string.digits
    cdk = rng.choice(
        [
            "-".join("".join(rng.choice(alnum) for _ in range(4)) for _ in range(4)),
            "".join(rng.choice(alnum) for _ in range(16)),
            "".join(rng.choice(string.digits) for _ in range(18)),
        ]
    )
    order_digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(14, 18)))
    return {
        "p": rng.choice(PRODUCTS),
        "a": rng.choice(AMOUNTS),
        "o": ("KM" if rng.random() < 0.7 else "km") + "2026" + order_digits[: rng.randint(10, 14)],
        "po": "2026" + "".join(rng.choice(string.digits) for _ in range(rng.randint(14, 18))),
        "t": rng.choice(TIMES[split]),
        "q": str(rng.randint(10000, 2999999999)),
        "w": rng.choice(WECHAT_IDS),
        "site": rng.choice(SITES),
        "job": rng.choice(["", "KF", "kf"]) + str(rng.randint(1000, 9999)),
        "phone": "1" + rng.choice("3456789") + "".join(rng.choice(string.digits) for _ in range(9)),
        "pwd": rng.choice(["abc", "Qwe", "ww", "Love", "zx"]) + str(rng.randint(1000, 999999)),
        "code": str(rng.randint(1000, 99999999)).zfill(rng.choice([4, 6, 6, 6, 8]))[-6:],
        "card": _bank_card(rng),
        "idno": _id_number(rng),
        "cdk": cdk,
    }


def _fill(template: str, slots: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: slots[m.group(1)], template)


def _typo(text: str, rng: random.Random) -> str | None:
    keys = [k for k in TYPO_MAP if k in text]
    if not keys:
        return None
    for key in rng.sample(keys, k=min(2, len(keys))):
        text = text.replace(key, rng.choice(TYPO_MAP[key]), 1)
    return text


def _mixed(text: str, rng: random.Random) -> str:
    keys = [k for k in MIXED_MAP if k in text]
    if keys:
        key = rng.choice(keys)
        return text.replace(key, " " + rng.choice(MIXED_MAP[key]) + " ", 1).strip()
    return text + rng.choice(MIXED_TAILS)


def _traditional(text: str) -> str:
    import opencc

    return str(opencc.OpenCC("s2t").convert(text))


def generate(split: str) -> list[dict[str, Any]]:
    module = phrases_train if split == "train" else phrases_dev
    rng = random.Random(f"{SEED}-{split}")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(text: str, intent: str, style: str, sensitive: bool) -> None:
        text = re.sub(r"\s+", " ", text).strip()
        if not text or text in seen:
            return
        seen.add(text)
        rows.append(
            {
                "id": f"{split}-{len(rows) + 1:05d}",
                "text": text,
                "intent": intent,
                "style": style,
                "handoff": intent in HANDOFF_INTENTS or style == "angry",
                "urgent": intent in URGENT_INTENTS,
                "sensitive": sensitive,
            }
        )

    styles = list(STYLE_WEIGHTS)
    weights = [STYLE_WEIGHTS[s] for s in styles]
    for intent in INTENT_CODES:
        bank = module.PHRASES[intent]
        sentences = bank["plain"] + bank["colloquial"]
        for form in bank["short"]:
            add(form, intent, "short", False)
        target = len([r for r in rows if r["intent"] == intent]) + PER_INTENT[split]
        attempts = 0
        while len([r for r in rows if r["intent"] == intent]) < target and attempts < 5000:
            attempts += 1
            style = rng.choices(styles, weights)[0]
            slots = _slots(rng, split)
            if style in ("plain", "colloquial", "implicit"):
                add(_fill(rng.choice(bank[style]), slots), intent, style, False)
            elif style == "short":
                continue
            elif style == "typo":
                typo = _typo(_fill(rng.choice(sentences), slots), rng)
                if typo is not None:
                    add(typo, intent, "typo", False)
            elif style == "traditional":
                base = rng.choice(sentences + bank["implicit"])
                add(_traditional(_fill(base, slots)), intent, "traditional", False)
            elif style == "mixed":
                add(_mixed(_fill(rng.choice(sentences), slots), rng), intent, "mixed", False)
            elif style == "long":
                inner = _fill(rng.choice(sentences), slots).rstrip("。!！?？")
                slots["s"] = inner
                add(_fill(rng.choice(module.LONG_WRAPPERS), slots), intent, "long", False)
            elif style == "angry":
                inner = _fill(rng.choice(sentences + bank["short"]), slots).rstrip("。!！?？")
                slots["s"] = inner
                add(_fill(rng.choice(module.ANGRY_WRAPPERS), slots), intent, "angry", False)
        for i in range(SECRETS_PER_INTENT[split] if bank["secret"] else 0):
            template = bank["secret"][i % len(bank["secret"])]
            add(_fill(template, _slots(rng, split)), intent, "plain", True)
    return rows


def build() -> dict[str, list[dict[str, Any]]]:
    train = generate("train")
    train_texts = {r["text"] for r in train}
    dev = [r for r in generate("dev") if r["text"] not in train_texts]
    return {"train": train, "dev": dev}


def _dump(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main(argv: list[str]) -> int:
    splits = build()
    stale = False
    for name, rows in splits.items():
        path = HERE / f"{name}.jsonl"
        content = _dump(rows)
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                print(f"{path} is stale", file=sys.stderr)
                stale = True
            continue
        path.write_text(content, encoding="utf-8")
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["style"]] = counts.get(r["style"], 0) + 1
        print(f"{name}: {len(rows)} lines {counts}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
