"""Knowledge-base search for the bot and the help center.

Chinese text is normalised and cut with jieba (search mode) at index *and* query time, so
two-character queries (退款, 到账, 卡密) match whole words; CJK character bigrams are added
at a low weight so words the dictionary does not know still match. Tokens are mapped to a
canonical synonym (没到账 ~ 未到账 ~ 不到账, 退钱 ~ 退款 ...) on both sides. Ranking is
Okapi BM25 (k1=1.5, b=0.75) in plain Python; title and keywords count double.

The index is immutable once built and safe to share between threads; rebuild it when
articles change (building 1,000 articles takes well under a second).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kefu.nlu.normalise import normalise
from kefu.nlu.segment import segment_for_search

__all__ = ["SYNONYMS", "Article", "KnowledgeIndex", "SearchHit", "load_default_articles"]

KB_PATH = Path(__file__).resolve().parent / "data" / "kb_articles.json"

# canonical -> variants
SYNONYM_GROUPS: dict[str, tuple[str, ...]] = {
    "没到账": ("未到账", "不到账", "没到", "没收到", "未收到", "还没到", "到不了"),
    "到账": ("到帐", "入账", "到账时间"),
    "退款": ("退钱", "退回", "退费", "返还", "原路返回"),
    "充值": ("充钱", "直充", "代充", "充进"),
    "卡密": ("兑换码", "激活码", "充值码", "卡号密码", "cdkey"),
    "无效": ("用不了", "不能用", "失效", "错误", "已使用", "被使用"),
    "提现": ("提款", "取现", "转出"),
    "冻结": ("封号", "被封", "限制", "受限"),
    "被盗": ("盗号", "被盗号", "被偷"),
    "客服": ("人工", "人工客服", "工作人员"),
    "官方": ("官网", "正版", "真假"),
    "会员": ("vip", "等级"),
    "商户": ("商家", "店铺", "入驻", "开店"),
    "订单": ("单号", "订单号", "单子"),
    "登录": ("登陆", "登不上", "登录不了"),
    "支付": ("付款", "付钱", "扣款"),
    "话费": ("手机费", "电话费"),
    "点卡": ("游戏卡", "充值卡"),
}
SYNONYMS: dict[str, str] = {v: c for c, vs in SYNONYM_GROUPS.items() for v in vs}

_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]{2,}")
_BIGRAM_WEIGHT = 0.3
_STOP = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "是",
        "我",
        "你",
        "在",
        "有",
        "怎么",
        "什么",
        "和",
        "与",
        "及",
        "或",
        "就",
        "都",
        "也",
        "要",
        "会",
        "能",
        "可以",
    ]
)


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    body: str
    category: str = ""
    intents: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    slug: str = ""
    title_en: str = ""
    body_en: str = ""


@dataclass(frozen=True, slots=True)
class SearchHit:
    article: Article
    score: float
    matched: tuple[str, ...] = field(default_factory=tuple)


def analyse(text: str) -> list[str]:
    """Tokens used for indexing and querying: canonical words + ``~`` CJK bigrams."""
    norm = normalise(text)
    words = [SYNONYMS.get(w, w) for w in segment_for_search(norm) if w not in _STOP]
    # A synonym may be a phrase jieba keeps whole (没收到), or a phrase it splits; add
    # canonical forms of variants found verbatim in the text too.
    for variant, canonical in SYNONYMS.items():
        if len(variant) > 1 and variant in norm:
            words.append(canonical)
    bigrams = [
        "~" + run[i : i + 2] for run in _CJK_RUN_RE.findall(norm) for i in range(len(run) - 1)
    ]
    return words + bigrams


def _weight(token: str) -> float:
    return _BIGRAM_WEIGHT if token.startswith("~") else 1.0


class KnowledgeIndex:
    """BM25 index over articles."""

    def __init__(self, articles: Iterable[Article], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.articles: tuple[Article, ...] = tuple(articles)
        self.k1, self.b = k1, b
        self._tf: list[Counter[str]] = []
        self._len: list[int] = []
        df: Counter[str] = Counter()
        for art in self.articles:
            tokens = (
                analyse(art.title) * 2
                + analyse(" ".join(art.keywords)) * 2
                + analyse(art.body)
                + analyse(art.title_en) * 2
                + analyse(art.body_en)
            )
            tf = Counter(tokens)
            self._tf.append(tf)
            self._len.append(len(tokens))
            df.update(tf.keys())
        n = max(len(self.articles), 1)
        self._avg = (sum(self._len) / n) if self._len else 1.0
        self._idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        self._by_id = {a.id: a for a in self.articles}

    @classmethod
    def default(cls) -> KnowledgeIndex:
        """Index over the shipped demo articles."""
        return cls(load_default_articles())

    def get(self, article_id: str) -> Article | None:
        return self._by_id.get(article_id)

    def search(
        self, query: str, *, limit: int = 5, intent: str | None = None, category: str | None = None
    ) -> list[SearchHit]:
        """Ranked hits (best first) with BM25 scores; ``intent`` boosts tagged articles."""
        q_tokens = list(dict.fromkeys(analyse(query)))
        hits: list[SearchHit] = []
        for idx, art in enumerate(self.articles):
            if category is not None and art.category != category:
                continue
            tf = self._tf[idx]
            norm_len = 1 - self.b + self.b * self._len[idx] / self._avg
            score = 0.0
            matched: list[str] = []
            for tok in q_tokens:
                freq = tf.get(tok, 0)
                if not freq:
                    continue
                score += (
                    _weight(tok)
                    * self._idf[tok]
                    * freq
                    * (self.k1 + 1)
                    / (freq + self.k1 * norm_len)
                )
                if not tok.startswith("~"):
                    matched.append(tok)
            if intent is not None and intent in art.intents and score > 0:
                score *= 1.5
            if score > 0:
                hits.append(SearchHit(art, round(score, 4), tuple(matched)))
        hits.sort(key=lambda h: (-h.score, h.article.id))
        return hits[:limit]

    def best_for(self, intent: str, query: str = "") -> Article | None:
        """The best article for an intent: the top search hit tagged with the intent, else
        the first article tagged with it."""
        if query:
            for hit in self.search(query, limit=10, intent=intent):
                if intent in hit.article.intents:
                    return hit.article
        for art in self.articles:
            if art.intents and art.intents[0] == intent:
                return art
        for art in self.articles:
            if intent in art.intents:
                return art
        return None


def articles_from_dicts(items: Sequence[dict[str, object]]) -> list[Article]:
    out: list[Article] = []
    for item in items:
        slug = str(item.get("slug") or item.get("id") or "")
        out.append(
            Article(
                id=str(item.get("id") or slug),
                title=str(item["title"]),
                body=str(item["body"]),
                category=str(item.get("category", "")),
                intents=tuple(str(i) for i in item.get("intents", []) or []),  # type: ignore[attr-defined]
                keywords=tuple(str(k) for k in item.get("keywords", []) or []),  # type: ignore[attr-defined]
                slug=slug,
                title_en=str(item.get("title_en") or ""),
                body_en=str(item.get("body_en") or ""),
            )
        )
    return out


def load_default_articles(path: Path | None = None) -> list[Article]:
    """The shipped demo help-center articles (``data/kb_articles.json``)."""
    data = json.loads((path or KB_PATH).read_text(encoding="utf-8"))
    return articles_from_dicts(data)
