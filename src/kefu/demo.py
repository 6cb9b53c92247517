"""Demo data for one 卡盟 tenant. Idempotent: running it again adds nothing twice."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from kefu.actions import commerce
from kefu.actions.agents import create_agent
from kefu.actions.context import Actor, ActorKind, Kefu, Role, transaction
from kefu.actions.tenant_settings import do_update_tenant_settings
from kefu.storage.models import Agent, Customer, Department, Merchant, Order, Tenant

DEMO_TENANT = "demo"

DEPARTMENTS = [
    ("presales", "售前咨询", "Pre-sales"),
    ("recharge", "充值售后", "Top-up after-sales"),
    ("refund", "退款财务", "Refunds & finance"),
    ("security", "账号安全", "Account security"),
    ("merchant", "商户服务", "Merchant services"),
]

# (email, 工号, name, role, department, capacity)
STAFF = [
    ("admin@demo.kefu.local", "KF0001", "平台管理员", Role.ADMIN, None, 5),
    ("supervisor@demo.kefu.local", "KF0100", "周主管", Role.SUPERVISOR, "recharge", 8),
    ("agent1@demo.kefu.local", "KF8012", "小林", Role.AGENT, "recharge", 5),
    ("agent2@demo.kefu.local", "KF8015", "阿珍", Role.AGENT, "recharge", 5),
    ("agent3@demo.kefu.local", "KF8020", "老陈", Role.AGENT, "refund", 5),
    ("agent4@demo.kefu.local", "KF8031", "小美", Role.AGENT, "security", 4),
    ("agent5@demo.kefu.local", "KF8040", "大刘", Role.AGENT, "merchant", 4),
]

# (external id, name, tier, phone, email, qq)
MEMBERS = [
    ("u10001", "王同学", "normal", "13812345678", "wang@example.com", "123456789"),
    ("u10002", "李女士", "silver", "13987654321", "li@example.com", None),
    ("u10003", "张先生", "gold", "15011112222", "zhang@example.com", "987654321"),
    ("u10004", "赵老板", "diamond", "18666668888", "zhao@example.com", None),
    ("u10005", "刘玩家", "normal", "17700001111", None, "55667788"),
]

# (order no, member, product, amount, status, upstream, minutes ago)
ORDERS = [
    (
        "KM20261123100012345",
        "u10001",
        "王者荣耀 点券 600",
        "60.00",
        "processing",
        "上游渠道处理中",
        25,
    ),
    ("KM20261123090055501", "u10001", "腾讯视频 VIP 月卡", "25.00", "delivered", "已发货", 180),
    (
        "KM20261122213000777",
        "u10002",
        "中国移动 话费 100 元",
        "98.50",
        "failed",
        "上游充值失败",
        900,
    ),
    (
        "KM20261122180000123",
        "u10002",
        "Steam 钱包充值卡 200",
        "185.00",
        "refunding",
        "退款审核中",
        1200,
    ),
    ("KM20261121120000999", "u10003", "原神 创世结晶 6480", "648.00", "delivered", "已到账", 2880),
    ("KM20261123110001888", "u10004", "和平精英 点券 6000", "600.00", "paid", "待提交上游", 10),
    ("KM20261120080000321", "u10004", "网易一卡通 500 元", "490.00", "refunded", "已退款", 5000),
    ("KM20261123120000456", "u10005", "爱奇艺 黄金会员 年卡", "198.00", "pending_payment", None, 5),
]

OFFICIAL_CHANNELS = [
    {"type": "qq", "value": "800012345", "label": "官方客服 QQ"},
    {"type": "wechat", "value": "xingchen_kefu", "label": "官方微信公众号"},
    {"type": "phone", "value": "400-820-1234", "label": "客服热线"},
    {"type": "site", "value": "xingchen-kamen.example", "label": "官方网站"},
]


@dataclass
class DemoSummary:
    tenant_slug: str
    created: bool
    password: str
    staff: list[tuple[str, str, str, str]]
    widget_secret: str


async def load_demo(kefu: Kefu, password: str) -> DemoSummary:
    created = False
    async with transaction(kefu) as tx:
        tenant = (
            await tx.session.execute(select(Tenant).where(Tenant.slug == DEMO_TENANT))
        ).scalar_one_or_none()
        if tenant is None:
            created = True
            tenant = Tenant(
                slug=DEMO_TENANT,
                name="星辰卡盟",
                widget_secret=secrets.token_urlsafe(32),
                settings={},
                created_at=tx.now,
            )
            tx.session.add(tenant)
            await tx.session.flush()
        tenant_id = tenant.id
        widget_secret = tenant.widget_secret
        for slug, name in (("xingchen", "星辰自营店"), ("youxi", "游戏小铺")):
            exists = (
                await tx.session.execute(
                    select(Merchant).where(Merchant.tenant_id == tenant_id, Merchant.slug == slug)
                )
            ).scalar_one_or_none()
            if exists is None:
                tx.session.add(
                    Merchant(tenant_id=tenant_id, slug=slug, name=name, created_at=tx.now)
                )
        for code, name, name_en in DEPARTMENTS:
            exists_d = (
                await tx.session.execute(
                    select(Department).where(
                        Department.tenant_id == tenant_id, Department.code == code
                    )
                )
            ).scalar_one_or_none()
            if exists_d is None:
                tx.session.add(
                    Department(tenant_id=tenant_id, code=code, name=name, name_en=name_en)
                )
    for email, agent_no, name, role, dept, capacity in STAFF:
        async with kefu.db.read() as session:
            found = (
                await session.execute(select(Agent).where(Agent.email == email))
            ).scalar_one_or_none()
        if found is None:
            await create_agent(
                kefu,
                tenant_id,
                email=email,
                password=password,
                agent_no=agent_no,
                display_name=name,
                role=role,
                department_code=dept,
                capacity=capacity,
            )
    machine = Actor(kind=ActorKind.MACHINE, tenant_id=tenant_id)
    if created:  # through the validating action, like an admin would
        await do_update_tenant_settings(kefu, machine, {"official_channels": OFFICIAL_CHANNELS})
    for ext, name, tier, phone, mail, qq in MEMBERS:
        async with kefu.db.read() as session:
            found_c = (
                await session.execute(
                    select(Customer).where(
                        Customer.tenant_id == tenant_id, Customer.external_id == ext
                    )
                )
            ).scalar_one_or_none()
        if found_c is None:
            await commerce.do_upsert_customer(
                kefu,
                machine,
                commerce.CustomerUpsert(
                    external_id=ext, display_name=name, tier=tier, phone=phone, email=mail, qq=qq
                ),
            )
    now = kefu.clock.now()
    for order_no, ext, product, amount, status, upstream, minutes in ORDERS:
        async with kefu.db.read() as session:
            found_o = (
                await session.execute(
                    select(Order).where(Order.tenant_id == tenant_id, Order.order_no == order_no)
                )
            ).scalar_one_or_none()
        if found_o is None:
            at = now - timedelta(minutes=minutes)
            await commerce.do_upsert_order(
                kefu,
                machine,
                commerce.OrderUpsert(
                    order_no=order_no,
                    product=product,
                    amount=Decimal(amount),
                    status=status,
                    customer_external_id=ext,
                    merchant_slug="xingchen",
                    upstream_status=upstream,
                    created_at=at,
                    paid_at=at + timedelta(minutes=1) if status != "pending_payment" else None,
                    delivered_at=at + timedelta(minutes=3) if status == "delivered" else None,
                ),
            )
    from kefu.actions.knowledge import seed_default_articles

    await seed_default_articles(kefu, tenant_id)
    return DemoSummary(
        tenant_slug=DEMO_TENANT,
        created=created,
        password=password,
        staff=[(e, n, name, r.value) for e, n, name, r, _d, _c in STAFF],
        widget_secret=widget_secret,
    )
