from __future__ import annotations

import itertools

import pytest

from kefu.domain.conversation_state import (
    Status,
    can_transition,
    check_transition,
    is_reopen,
)
from kefu.errors import IllegalTransition

LEGAL = {
    ("bot", "queued"), ("bot", "assigned"), ("bot", "resolved"), ("bot", "closed"),
    ("queued", "assigned"), ("queued", "resolved"), ("queued", "closed"),
    ("assigned", "queued"), ("assigned", "waiting_customer"), ("assigned", "resolved"),
    ("assigned", "closed"),
    ("waiting_customer", "assigned"), ("waiting_customer", "queued"),
    ("waiting_customer", "resolved"), ("waiting_customer", "closed"),
    ("resolved", "closed"), ("resolved", "assigned"), ("resolved", "queued"),
    ("closed", "queued"), ("closed", "assigned"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("cur", "tgt"), list(itertools.product([s.value for s in Status], repeat=2))
)
def test_transition_table(cur: str, tgt: str) -> None:
    if (cur, tgt) in LEGAL:
        assert check_transition(cur, tgt) == Status(tgt)
    else:
        assert not can_transition(Status(cur), Status(tgt))
        with pytest.raises(IllegalTransition) as err:
            check_transition(cur, tgt)
        assert err.value.code == "illegal_transition" and err.value.status_code == 409


def test_unknown_status_is_illegal() -> None:
    with pytest.raises(IllegalTransition):
        check_transition("bot", "sleeping")


def test_reopen() -> None:
    assert is_reopen("resolved", "queued") and is_reopen("closed", "assigned")
    assert not is_reopen("assigned", "queued")
