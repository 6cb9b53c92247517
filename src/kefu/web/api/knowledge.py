"""/api/v1/kb: the help center's knowledge base.

Public (no sign-in, the tenant named by its slug): search, read (counts a view), vote.
Staff (supervisors and admins of the signed-in tenant): list, create, update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from kefu.actions import knowledge, throttles
from kefu.storage.models import KbArticle
from kefu.web.api.schemas import ERROR_RESPONSES, Strict
from kefu.web.client_address import client_address
from kefu.web.deps import ActorDep, KefuDep

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge"], responses=ERROR_RESPONSES)

TenantSlug = Annotated[str, Query(min_length=1, max_length=64)]
SlugPath = Annotated[str, Path(min_length=1, max_length=100)]
Words = Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(max_length=30)]


class ArticleHit(BaseModel):
    slug: str
    title: str
    category: str
    snippet: str
    score: float
    matched: list[str]
    helpful: int
    unhelpful: int


class SearchResults(BaseModel):
    query: str
    items: list[ArticleHit]


class ArticlePublic(BaseModel):
    slug: str
    title: str
    category: str
    body: str
    intents: list[str]
    keywords: list[str]
    published: bool
    views: int
    helpful: int
    unhelpful: int
    updated_at: datetime

    @classmethod
    def build(cls, row: KbArticle) -> ArticlePublic:
        return cls(
            slug=row.slug,
            title=row.title,
            category=row.category,
            body=row.body,
            intents=list(row.intents or []),
            keywords=list(row.keywords or []),
            published=row.published,
            views=row.views,
            helpful=row.helpful,
            unhelpful=row.unhelpful,
            updated_at=row.updated_at,
        )


class VoteBody(Strict):
    helpful: bool


class ArticleBody(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=20000)]
    category: Annotated[str, Field(max_length=64)] = ""
    intents: Words | None = None
    keywords: Words | None = None
    published: bool = True
    title_en: Annotated[str | None, Field(max_length=200)] = None
    body_en: Annotated[str | None, Field(max_length=20000)] = None

    def to_input(self) -> knowledge.ArticleInput:
        return knowledge.ArticleInput(
            title=self.title,
            body=self.body,
            category=self.category,
            intents=self.intents,
            keywords=self.keywords,
            published=self.published,
            title_en=self.title_en,
            body_en=self.body_en,
        )


class ArticleCreate(ArticleBody):
    slug: Annotated[str, Field(min_length=1, max_length=100)]


def _snippet(body: str, limit: int = 80) -> str:
    return body if len(body) <= limit else body[:limit] + "…"


@router.get("/search")
async def search(
    kefu: KefuDep,
    tenant: TenantSlug,
    q: Annotated[str, Query(max_length=200)] = "",
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResults:
    """Published articles, most relevant first (jieba words + BM25)."""
    result = await knowledge.search_articles(kefu, tenant, q, limit=limit, category=category)
    items = []
    for hit in result.hits:
        row = result.rows.get(hit.article.id)
        if row is None:  # deleted between the index and the read: skip
            continue
        items.append(
            ArticleHit(
                slug=row.slug,
                title=row.title,
                category=row.category,
                snippet=_snippet(row.body),
                score=hit.score,
                matched=list(hit.matched),
                helpful=row.helpful,
                unhelpful=row.unhelpful,
            )
        )
    return SearchResults(query=q.strip(), items=items)


@router.get("/articles/{slug}")
async def read_article(kefu: KefuDep, slug: SlugPath, tenant: TenantSlug) -> ArticlePublic:
    """One published article; each read counts a view."""
    return ArticlePublic.build(await knowledge.do_read_article(kefu, tenant, slug))


@router.post("/articles/{slug}/vote")
async def vote(
    kefu: KefuDep, slug: SlugPath, tenant: TenantSlug, body: VoteBody, request: Request
) -> ArticlePublic:
    """有用 / 没用 (budgeted per client address)."""
    await throttles.spend_anonymous(kefu, "vote", tenant, client_address(request))
    row = await knowledge.do_vote_article(kefu, tenant, slug, body.helpful)
    return ArticlePublic.build(row)


@router.get("/manage/articles")
async def list_for_staff(kefu: KefuDep, actor: ActorDep) -> list[ArticlePublic]:
    """Every article of the signed-in tenant, published or not (supervisors, admins)."""
    return [ArticlePublic.build(r) for r in await knowledge.list_articles(kefu, actor)]


@router.post("/manage/articles", status_code=201)
async def create_article(kefu: KefuDep, actor: ActorDep, body: ArticleCreate) -> ArticlePublic:
    row = await knowledge.do_create_article(kefu, actor, body.slug, body.to_input())
    return ArticlePublic.build(row)


@router.put("/manage/articles/{slug}")
async def update_article(
    kefu: KefuDep, actor: ActorDep, slug: SlugPath, body: ArticleBody
) -> ArticlePublic:
    row = await knowledge.do_update_article(kefu, actor, slug, body.to_input())
    return ArticlePublic.build(row)
