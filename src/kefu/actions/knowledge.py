"""Knowledge base: articles in the database, the shipped defaults, search, views, votes.

Search reuses :class:`kefu.nlu.retrieve.KnowledgeIndex` (jieba + BM25). One index per
tenant is cached in memory and rebuilt when the tenant's published articles change; the
cache key is (count, max(id), max(updated_at)) of the published articles, read with one
small query per use, so several app processes stay consistent without messaging.
Views and votes do not touch ``updated_at`` and never invalidate the index.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.actions.access import require_supervisor, tenant_by_slug
from kefu.actions.context import Actor, Kefu, transaction
from kefu.errors import Conflict, InvalidInput, NotFound
from kefu.nlu.retrieve import KB_PATH, Article, KnowledgeIndex, SearchHit
from kefu.storage.models import KbArticle

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")

_IndexKey = tuple[int, int, str]
_cache: dict[int, tuple[_IndexKey, KnowledgeIndex]] = {}
_cache_lock = threading.Lock()


def _article(row: KbArticle) -> Article:
    return Article(
        id=row.slug,
        title=row.title,
        body=row.body,
        category=row.category,
        intents=tuple(row.intents or ()),
        keywords=tuple(row.keywords or ()),
        slug=row.slug,
        title_en=row.title_en or "",
        body_en=row.body_en or "",
    )


async def knowledge_index(session: AsyncSession, tenant_id: int) -> KnowledgeIndex:
    """The tenant's index over its published articles (cached until they change)."""
    published = (KbArticle.tenant_id == tenant_id, KbArticle.published.is_(True))
    row = (
        await session.execute(
            select(
                func.count(KbArticle.id), func.max(KbArticle.id), func.max(KbArticle.updated_at)
            ).where(*published)
        )
    ).one()
    key: _IndexKey = (int(row[0] or 0), int(row[1] or 0), str(row[2]))
    cached = _cache.get(tenant_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    rows = (
        (await session.execute(select(KbArticle).where(*published).order_by(KbArticle.id)))
        .scalars()
        .all()
    )
    index = KnowledgeIndex(_article(r) for r in rows)
    with _cache_lock:
        _cache[tenant_id] = (key, index)
    return index


async def seed_default_articles(kefu: Kefu, tenant_id: int) -> int:
    """Load the shipped articles for a tenant; idempotent. Returns how many were added."""
    items: list[dict[str, Any]] = json.loads(KB_PATH.read_text(encoding="utf-8"))
    async with transaction(kefu) as tx:
        rows = {
            row.slug: row
            for row in (
                await tx.session.execute(select(KbArticle).where(KbArticle.tenant_id == tenant_id))
            ).scalars()
        }
        added = 0
        for item in items:
            row = rows.get(item["slug"])
            if row is not None:
                # seeded before English variants shipped: add them if the text is unchanged
                if not row.body_en and row.body == item["body"] and item.get("body_en"):
                    row.title_en, row.body_en = item.get("title_en", ""), item["body_en"]
                    row.updated_at = max(tx.now, _after(row.updated_at))
                continue
            tx.session.add(
                KbArticle(
                    tenant_id=tenant_id,
                    slug=item["slug"],
                    title=item["title"],
                    category=item.get("category", ""),
                    body=item["body"],
                    title_en=item.get("title_en", ""),
                    body_en=item.get("body_en", ""),
                    intents=list(item.get("intents", [])),
                    keywords=list(item.get("keywords", [])),
                    published=True,
                    views=0,
                    helpful=0,
                    unhelpful=0,
                    created_at=tx.now,
                    updated_at=tx.now,
                )
            )
            added += 1
        return added


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    rows: dict[str, KbArticle]


def check_query(q: str) -> str:
    text = q.strip()
    if not text:
        raise InvalidInput("empty_query", "请输入要搜索的问题", "query is empty")
    if len(text) > 200:
        raise InvalidInput("query_too_long", "搜索内容太长（最多 200 字）", "query too long")
    return text


async def search_articles(
    kefu: Kefu, tenant_slug: str, q: str, *, limit: int = 10, category: str | None = None
) -> SearchResult:
    """Published articles of one tenant, most relevant first."""
    text = check_query(q)
    async with kefu.db.read() as session:
        tenant = await tenant_by_slug(session, tenant_slug)
        index = await knowledge_index(session, tenant.id)
        hits = index.search(text, limit=limit, category=category)
        slugs = [h.article.id for h in hits]
        rows = (
            (
                await session.execute(
                    select(KbArticle).where(
                        KbArticle.tenant_id == tenant.id, KbArticle.slug.in_(slugs)
                    )
                )
            )
            .scalars()
            .all()
            if slugs
            else []
        )
    return SearchResult(hits=hits, rows={r.slug: r for r in rows})


async def _published(session: AsyncSession, tenant_id: int, slug: str) -> KbArticle:
    stmt = select(KbArticle).where(
        KbArticle.tenant_id == tenant_id, KbArticle.slug == slug, KbArticle.published.is_(True)
    )
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound("article", "文章")
    return row


async def do_read_article(kefu: Kefu, tenant_slug: str, slug: str) -> KbArticle:
    """One published article; counts a view."""
    async with transaction(kefu) as tx:
        tenant = await tenant_by_slug(tx.session, tenant_slug)
        row = await _published(tx.session, tenant.id, slug)
        await tx.session.execute(
            update(KbArticle).where(KbArticle.id == row.id).values(views=KbArticle.views + 1)
        )
        await tx.session.refresh(row)
        return row


async def do_vote_article(kefu: Kefu, tenant_slug: str, slug: str, helpful: bool) -> KbArticle:
    """有用 / 没用: one atomic counter increment."""
    async with transaction(kefu) as tx:
        tenant = await tenant_by_slug(tx.session, tenant_slug)
        row = await _published(tx.session, tenant.id, slug)
        column = KbArticle.helpful if helpful else KbArticle.unhelpful
        await tx.session.execute(
            update(KbArticle).where(KbArticle.id == row.id).values({column: column + 1})
        )
        await tx.session.refresh(row)
        return row


# -- staff: list, create, update (admins and supervisors) -----------------------------


@dataclass
class ArticleInput:
    title: str
    body: str
    category: str = ""
    intents: list[str] | None = None
    keywords: list[str] | None = None
    published: bool = True
    title_en: str | None = None
    body_en: str | None = None


def _check_input(data: ArticleInput) -> None:
    if not data.title.strip() or not data.body.strip():
        raise InvalidInput(
            "article_incomplete", "标题和正文不能为空", "title and body are required"
        )


async def list_articles(kefu: Kefu, actor: Actor) -> list[KbArticle]:
    require_supervisor(actor)
    async with kefu.db.read() as session:
        stmt = (
            select(KbArticle)
            .where(KbArticle.tenant_id == actor.tenant_id)
            .order_by(KbArticle.category, KbArticle.id)
        )
        return list((await session.execute(stmt)).scalars().all())


async def do_create_article(kefu: Kefu, actor: Actor, slug: str, data: ArticleInput) -> KbArticle:
    require_supervisor(actor)
    _check_input(data)
    if not SLUG_RE.match(slug):
        raise InvalidInput(
            "invalid_slug", "链接名只能包含小写字母、数字和连字符", "slug: a-z, 0-9 and '-'"
        )
    try:
        async with transaction(kefu) as tx:
            row = KbArticle(
                tenant_id=actor.tenant_id,
                slug=slug,
                title=data.title.strip(),
                body=data.body.strip(),
                title_en=(data.title_en or "").strip(),
                body_en=(data.body_en or "").strip(),
                category=data.category.strip(),
                intents=list(data.intents or []),
                keywords=list(data.keywords or []),
                published=data.published,
                views=0,
                helpful=0,
                unhelpful=0,
                created_at=tx.now,
                updated_at=tx.now,
            )
            tx.session.add(row)
            await tx.session.flush()
            return row
    except IntegrityError:
        raise Conflict(
            "slug_taken", "该链接名已被使用", "an article with this slug exists"
        ) from None


async def do_update_article(kefu: Kefu, actor: Actor, slug: str, data: ArticleInput) -> KbArticle:
    require_supervisor(actor)
    _check_input(data)
    async with transaction(kefu) as tx:
        stmt = select(KbArticle).where(
            KbArticle.tenant_id == actor.tenant_id, KbArticle.slug == slug
        )
        row = (await tx.session.execute(stmt)).scalar_one_or_none()
        if row is None:
            raise NotFound("article", "文章")
        row.title = data.title.strip()
        row.body = data.body.strip()
        row.category = data.category.strip()
        if data.title_en is not None:
            row.title_en = data.title_en.strip()
        if data.body_en is not None:
            row.body_en = data.body_en.strip()
        if data.intents is not None:
            row.intents = list(data.intents)
        if data.keywords is not None:
            row.keywords = list(data.keywords)
        row.published = data.published
        row.updated_at = max(tx.now, _after(row.updated_at))
        return row


def _after(previous: datetime) -> datetime:
    """A strictly later timestamp, so the index cache key changes even if the clock stood still."""
    return previous + timedelta(microseconds=1)
