from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from kefu.domain.signed_tokens import KeyRing, key_id, sign, sign_legacy, verify
from kefu.errors import Unauthorized

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
RING = KeyRing.of("s3cret-s3cret-s3cret-s3cret-s3cret")


def test_round_trip_with_chinese_is_a_jwt_with_kid() -> None:
    token = sign({"customer_id": "u1", "name": "小王", "exp": NOW.timestamp() + 60}, RING)
    assert jwt.get_unverified_header(token) == {
        "alg": "HS256",
        "typ": "JWT",
        "kid": RING.current_kid,
    }
    assert verify(token, RING, NOW)["name"] == "小王"


def test_ordinary_jwt_library_tokens_verify_with_and_without_kid() -> None:
    payload = {"customer_id": "u1", "exp": int(NOW.timestamp()) + 60, "nonce": "n" * 10}
    plain = jwt.encode(payload, RING.current, algorithm="HS256")
    assert verify(plain, RING, NOW)["customer_id"] == "u1"
    unknown = jwt.encode(payload, RING.current, algorithm="HS256", headers={"kid": "nope"})
    with pytest.raises(Unauthorized):
        verify(unknown, RING, NOW)
    none_alg = jwt.encode(payload, None, algorithm="none")
    with pytest.raises(Unauthorized):
        verify(none_alg, RING, NOW)
    hs512 = jwt.encode(payload, RING.current, algorithm="HS512")
    with pytest.raises(Unauthorized):
        verify(hs512, RING, NOW)


def test_rotation_previous_key_still_verifies_new_key_signs() -> None:
    old = KeyRing.of("old-secret-old-secret-old-secret-0")
    token = sign({"exp": NOW.timestamp() + 60}, old)
    rotated = KeyRing.of(
        "new-secret-new-secret-new-secret-1", ["old-secret-old-secret-old-secret-0"]
    )
    assert verify(token, rotated, NOW)["exp"]
    assert jwt.get_unverified_header(sign({"exp": 1}, rotated))["kid"] == key_id(
        "new-secret-new-secret-new-secret-1"
    )
    dropped = KeyRing.of("new-secret-new-secret-new-secret-1")
    with pytest.raises(Unauthorized):
        verify(token, dropped, NOW)


def test_legacy_format_still_accepted_for_every_key_of_the_ring() -> None:
    token = sign_legacy({"exp": NOW.timestamp() + 60, "c": 1}, RING.current)
    assert verify(token, RING, NOW)["c"] == 1
    with pytest.raises(Unauthorized):
        verify(sign_legacy({"exp": NOW.timestamp() + 60}, "other"), RING, NOW)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: "x" + t,
        lambda t: t.replace(".", ""),
        lambda t: t + ".extra",
        lambda t: "",
        lambda t: "é.é",
        lambda t: "é.é.é",
    ],
)
@pytest.mark.parametrize("legacy", [False, True])
def test_tampering_refused(mutate: Any, legacy: bool) -> None:
    payload = {"exp": NOW.timestamp() + 60}
    token = sign_legacy(payload, RING.current) if legacy else sign(payload, RING)
    with pytest.raises(Unauthorized):
        verify(mutate(token), RING, NOW)


@pytest.mark.parametrize("legacy", [False, True])
def test_expired_missing_and_non_finite_exp(legacy: bool) -> None:
    def tok(payload: dict[str, Any]) -> str:
        return sign_legacy(payload, RING.current) if legacy else sign(payload, RING)

    with pytest.raises(Unauthorized) as err:
        verify(tok({"exp": NOW.timestamp() - 1}), RING, NOW)
    assert err.value.code == "token_expired"
    for bad in ({}, {"exp": "soon"}, {"exp": True}, {"exp": float("nan")}, {"exp": float("inf")}):
        with pytest.raises(Unauthorized):
            verify(tok(bad), RING, NOW)
    far = tok({"exp": (NOW + timedelta(hours=48)).timestamp()})
    assert verify(far, RING, NOW)
    with pytest.raises(Unauthorized) as err:
        verify(far, RING, NOW, max_ahead=timedelta(hours=24))
    assert err.value.code == "token_exp_too_far"
    with pytest.raises(Unauthorized):
        verify(tok({"exp": 1e20}), RING, NOW, max_ahead=timedelta(hours=24))
