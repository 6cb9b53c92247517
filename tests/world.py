"""A tenant with people and orders, made through the actions layer, and clients that
speak to the API as each of them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from fastapi.testclient import TestClient

from kefu.actions import commerce
from kefu.actions.agents import create_agent
from kefu.actions.auth import create_api_token, issue_customer_token
from kefu.actions.context import Actor, ActorKind, Kefu, Role, transaction
from kefu.storage.models import Department, Tenant

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    slug: str
    tenant_id: int
    widget_secret: str
    machine_token: str
    token_id: int
    agents: dict[str, int] = field(default_factory=dict)  # name -> id
    emails: dict[str, str] = field(default_factory=dict)  # name -> email
    customers: dict[str, int] = field(default_factory=dict)  # external id -> id
    customer_tokens: dict[str, str] = field(default_factory=dict)
    orders: list[str] = field(default_factory=list)


async def build_world(kefu: Kefu, slug: str | None = None) -> World:
    slug = slug or "t" + secrets.token_hex(4)
    async with transaction(kefu) as tx:
        tenant = Tenant(
            slug=slug,
            name=f"测试卡盟 {slug}",
            widget_secret=secrets.token_urlsafe(24),
            settings={},
            created_at=tx.now,
        )
        tx.session.add(tenant)
        await tx.session.flush()
        for code, name in (
            ("recharge", "充值售后"),
            ("refund", "退款财务"),
            ("security", "账号安全"),
        ):
            tx.session.add(Department(tenant_id=tenant.id, code=code, name=name, name_en=code))
        tenant_id, secret = tenant.id, tenant.widget_secret
    created = await create_api_token(kefu, tenant_id, "marketplace")
    world = World(
        slug=slug,
        tenant_id=tenant_id,
        widget_secret=secret,
        machine_token=created.plaintext,
        token_id=created.token.id,
    )
    for name, role, dept, cap in (
        ("admin", Role.ADMIN, None, 5),
        ("supervisor", Role.SUPERVISOR, "recharge", 5),
        ("alice", Role.AGENT, "recharge", 2),
        ("bob", Role.AGENT, "refund", 2),
    ):
        email = f"{name}@{slug}.test"
        agent = await create_agent(
            kefu,
            tenant_id,
            email=email,
            password=PASSWORD,
            agent_no=f"KF{8000 + len(world.agents)}",
            display_name=name,
            role=role,
            department_code=dept,
            capacity=cap,
        )
        world.agents[name] = agent.id
        world.emails[name] = email
    machine = Actor(kind=ActorKind.MACHINE, tenant_id=tenant_id)
    for ext, tier in (("m1", "normal"), ("m2", "gold")):
        c = await commerce.do_upsert_customer(
            kefu, machine, commerce.CustomerUpsert(external_id=ext, tier=tier, phone="13800001234")
        )
        world.customers[ext] = c.id
        world.customer_tokens[ext] = issue_customer_token(kefu, tenant_id, c.id)
    for i, ext in enumerate(("m1", "m1", "m2")):
        no = f"KM{slug.upper()}{i:04d}"
        await commerce.do_upsert_order(
            kefu,
            machine,
            commerce.OrderUpsert(
                order_no=no,
                product="王者荣耀 点券 600",
                amount=Decimal("60.00"),
                status="processing",
                customer_external_id=ext,
                upstream_status="上游处理中",
            ),
        )
        world.orders.append(no)
    return world


class As:
    """Speak to the API as one party: bearer token, or a staff cookie + CSRF token."""

    def __init__(self, client: TestClient, *, token: str | None = None) -> None:
        self.client = client
        self.token = token
        self.cookie: str | None = None
        self.csrf: str | None = None

    @classmethod
    def staff(cls, client: TestClient, email: str, password: str = PASSWORD) -> As:
        client.cookies.clear()
        r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        me = cls(client)
        me.cookie = r.cookies.get("kefu_session") or client.cookies.get("kefu_session")
        me.csrf = r.json()["csrf_token"]
        client.cookies.clear()
        return me

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        self.client.cookies.clear()
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        if self.cookie:
            self.client.cookies.set("kefu_session", self.cookie)
            if self.csrf:
                headers.setdefault("X-CSRF-Token", self.csrf)
        try:
            return self.client.request(method, url, headers=headers, **kwargs)
        finally:
            self.client.cookies.clear()

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", url, **kw)
