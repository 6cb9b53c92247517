"""A dujiaoka site's ``api_hook`` (App\\Jobs\\ApiHook): one unsigned JSON POST after
payment, ``Content-type: application/json``, body ``{title, order_sn, email,
actual_price, order_info, good_id, gd_name}`` (JSON_UNESCAPED_UNICODE); the response is
ignored. Order numbers are 16 characters."""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass, field
from decimal import Decimal

import httpx

ALPHABET = string.ascii_uppercase + string.digits


def order_sn() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(16))


@dataclass
class FakeDujiaokaOrder:
    title: str
    email: str
    actual_price: Decimal
    carmis: list[str] = field(default_factory=list)  # auto delivery: codes go into info
    order_sn: str = field(default_factory=order_sn)
    good_id: int = 1
    gd_name: str = ""

    def hook_body(self) -> bytes:
        payload = {
            "title": self.title,
            "order_sn": self.order_sn,
            "email": self.email,
            "actual_price": f"{self.actual_price:.2f}",
            "order_info": "\n".join(self.carmis),
            "good_id": self.good_id,
            "gd_name": self.gd_name or self.title,
        }
        return json.dumps(payload, ensure_ascii=False).encode()

    async def push(self, api_hook_url: str) -> httpx.Response:
        async with httpx.AsyncClient(timeout=30) as http:
            return await http.post(
                api_hook_url,
                content=self.hook_body(),
                headers={"Content-type": "application/json"},
            )
