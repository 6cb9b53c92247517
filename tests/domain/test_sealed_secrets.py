"""Secrets at rest: AES-GCM under a key derived from the server secret, bound to where
they belong, still readable after the server secret rotates."""

from __future__ import annotations

import pytest

from kefu.domain.sealed_secrets import SecretBox, SecretUnreadable, is_sealed

OLD, NEW = "o" * 40, "n" * 40


def test_seal_and_open() -> None:
    box = SecretBox.of(NEW)
    sealed = box.seal("卡密-ABCD-1234", "order:7:card_codes")
    assert is_sealed(sealed) and "ABCD" not in sealed
    assert box.open(sealed, "order:7:card_codes") == "卡密-ABCD-1234"
    assert box.seal("x", "p") != box.seal("x", "p")  # fresh nonce each time


def test_bound_to_its_purpose() -> None:
    box = SecretBox.of(NEW)
    sealed = box.seal("secret", "tenant:1:order_source")
    with pytest.raises(SecretUnreadable):
        box.open(sealed, "tenant:2:order_source")


def test_tampered_or_unknown_key_refused() -> None:
    sealed = SecretBox.of(NEW).seal("secret", "p")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(SecretUnreadable):
        SecretBox.of(NEW).open(flipped, "p")
    with pytest.raises(SecretUnreadable):
        SecretBox.of("z" * 40).open(sealed, "p")
    with pytest.raises(SecretUnreadable):
        SecretBox.of(NEW).open("plain text", "p")


def test_rotation_keeps_old_values_readable() -> None:
    sealed = SecretBox.of(OLD).seal("secret", "p")
    rotated = SecretBox.of(NEW, [OLD])
    assert rotated.open(sealed, "p") == "secret"
    assert rotated.seal_if_plain(sealed, "p") == sealed
    assert is_sealed(rotated.seal_if_plain("new", "p"))
