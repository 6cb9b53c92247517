from __future__ import annotations

import pytest

from kefu.nlu.retrieve import Article, KnowledgeIndex, load_default_articles


def test_shipped_articles() -> None:
    articles = load_default_articles()
    assert len(articles) >= 40
    assert len({a.id for a in articles}) == len(articles)


@pytest.mark.parametrize(
    ("query", "expected_category"),
    [
        ("退款", "退款"),
        ("到账", "充值与到账"),
        ("卡密", "卡密与点卡"),
        ("提现", "提现"),
        ("话费", "话费"),
        ("入驻", "商户合作"),
    ],
)
def test_two_character_queries(index: KnowledgeIndex, query: str, expected_category: str) -> None:
    hits = index.search(query)
    assert hits, query
    assert hits[0].article.category == expected_category
    assert hits[0].score > 0


def test_synonyms() -> None:
    idx = KnowledgeIndex(
        [
            Article("a", "充值未到账处理", "请提交订单号。"),
            Article("b", "会员等级", "消费越多等级越高。"),
        ]
    )
    assert idx.search("没到账")[0].article.id == "a"
    assert idx.search("退钱") == []
    assert idx.search("不到账")[0].article.id == "a"


def test_ranked_and_limited(index: KnowledgeIndex) -> None:
    hits = index.search("账号被盗了怎么办", limit=3)
    assert len(hits) <= 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].article.category == "账号安全"


def test_best_for_intent(index: KnowledgeIndex) -> None:
    art = index.best_for("withdrawal", "提现")
    assert art is not None and "withdrawal" in art.intents
