"""PhoneNumber: one validation and one masking for every phone kefu stores or shows.

Accepted (spaces, dashes, dots and brackets are ignored; ``+86`` / ``0086`` / ``86``
before a mainland number is dropped): mainland mobiles ``1[3-9]`` + 9 digits, landlines
``0`` + area code + number (10–12 digits), 400 / 800 service numbers, and
international numbers written with ``+`` (7–15 digits). The stored form is the digits
(with a leading ``+`` for international numbers). Masked: the first 3 and the last 4
digits (``138****5678``); the last 4 digits are what a customer types to track a ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kefu.errors import InvalidInput

_SEPARATORS = re.compile(r"[\s\-.()（）]")
_MAINLAND = re.compile(r"^(?:1[3-9]\d{9}|0\d{9,11}|[48]00\d{7})$")
_INTERNATIONAL = re.compile(r"^\+[1-9]\d{6,14}$")


def invalid_phone() -> InvalidInput:
    return InvalidInput("invalid_phone", "请输入正确的手机号或座机号", "invalid phone number")


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    value: str  # digits, "+" first for international numbers

    @classmethod
    def parse(cls, text: str) -> PhoneNumber:
        """The number in ``text``; :class:`InvalidInput` (code ``invalid_phone``) if none."""
        compact = _SEPARATORS.sub("", text.strip()).replace("＋", "+")
        for prefix in ("+86", "0086"):
            if compact.startswith(prefix):
                compact = compact.removeprefix(prefix)
                break
        else:
            if compact.startswith("86") and len(compact) == 13:
                compact = compact[2:]
        if _MAINLAND.match(compact) or _INTERNATIONAL.match(compact):
            return cls(compact)
        raise invalid_phone()

    @classmethod
    def is_valid(cls, text: str) -> bool:
        try:
            cls.parse(text)
        except InvalidInput:
            return False
        return True

    @property
    def digits(self) -> str:
        return self.value.lstrip("+")

    @property
    def last4(self) -> str:
        return self.digits[-4:]

    @property
    def masked(self) -> str:
        return mask_phone(self.value)

    def __str__(self) -> str:
        return self.value


def mask_phone(phone: str) -> str:
    """``138****5678``; a stored number too short to mask shows only ``****``."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"
