"""The intent taxonomy, as the bot sees it. The taxonomy itself lives in the domain
(kefu.domain.vocabulary.categories: an intent code *is* a conversation category); this
module keeps the names nlu/ has always used."""

from __future__ import annotations

from kefu.domain.vocabulary.categories import CATEGORIES, CategoryInfo, category_info

__all__ = [
    "HANDOFF_INTENTS",
    "INTENTS",
    "INTENT_CODES",
    "URGENT_INTENTS",
    "Intent",
    "intent_by_code",
]

Intent = CategoryInfo
INTENTS: tuple[Intent, ...] = CATEGORIES
INTENT_CODES: tuple[str, ...] = tuple(i.code for i in INTENTS)
HANDOFF_INTENTS: frozenset[str] = frozenset(i.code for i in INTENTS if i.handoff)
URGENT_INTENTS: frozenset[str] = frozenset(i.code for i in INTENTS if i.urgent)


def intent_by_code(code: str) -> Intent:
    """The built-in intent for ``code``; unknown (tenant) codes get a generic entry."""
    return category_info(code) or CategoryInfo(code, code, code, code, "tenant-defined intent")
