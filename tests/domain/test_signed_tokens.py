from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.domain.signed_tokens import sign, verify
from kefu.errors import Unauthorized

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_round_trip_with_chinese() -> None:
    token = sign({"customer_id": "u1", "name": "小王", "exp": NOW.timestamp() + 60}, "s3cret")
    assert verify(token, "s3cret", NOW)["name"] == "小王"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: "x" + t,
        lambda t: t.replace(".", ""),
        lambda t: t + ".extra",
        lambda t: "",
        lambda t: "é.é",
    ],
)
def test_tampering_refused(mutate: object) -> None:
    token = sign({"exp": NOW.timestamp() + 60}, "s3cret")
    with pytest.raises(Unauthorized):
        verify(mutate(token), "s3cret", NOW)  # type: ignore[operator]


def test_wrong_secret_expired_and_missing_exp() -> None:
    token = sign({"exp": NOW.timestamp() + 60}, "a")
    with pytest.raises(Unauthorized):
        verify(token, "b", NOW)
    with pytest.raises(Unauthorized) as err:
        verify(sign({"exp": NOW.timestamp() - 1}, "a"), "a", NOW)
    assert err.value.code == "token_expired"
    for bad in ({}, {"exp": "soon"}, {"exp": True}):
        with pytest.raises(Unauthorized):
            verify(sign(bad, "a"), "a", NOW)
