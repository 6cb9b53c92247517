"""The vocabulary's labels for scripts: the console and the widget show codes through
these, never raw (docs/vocabulary.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from kefu.domain.vocabulary.labels import label_catalogue

router = APIRouter(tags=["vocabulary"])


@router.get("/api/v1/vocabulary")
async def vocabulary(
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> dict[str, dict[str, str]]:
    """Every label table (status, presence, order_status, channel, category, department,
    urgency, priority, author, event, reason, ...) as {kind: {code: label}}."""
    return label_catalogue(lang)
