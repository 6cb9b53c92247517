"""The intent taxonomy. The codes are a contract (stored in timelines, used by tenants'
answers and reports); labels may change, codes may not."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "HANDOFF_INTENTS",
    "INTENTS",
    "INTENT_CODES",
    "URGENT_INTENTS",
    "Intent",
    "intent_by_code",
]


@dataclass(frozen=True, slots=True)
class Intent:
    code: str
    label_zh: str
    label_en: str
    quick_reply_zh: str
    description: str
    handoff: bool = False
    urgent: bool = False


INTENTS: tuple[Intent, ...] = (
    Intent(
        "recharge_not_received",
        "充值未到账",
        "Top-up not received",
        "充值没到账",
        "Paid for a top-up / card / credit but it has not arrived",
    ),
    Intent(
        "payment_failed",
        "支付失败",
        "Payment failed",
        "支付失败/扣款",
        "Payment did not go through, was charged twice, or charged without an order",
    ),
    Intent(
        "refund", "退款", "Refund", "申请退款", "Wants money back, asks refund progress or rules"
    ),
    Intent(
        "order_status",
        "订单查询",
        "Order status",
        "查订单",
        "Where is my order, has it shipped, what does the status mean",
    ),
    Intent(
        "card_invalid",
        "卡密无效",
        "Card code invalid",
        "卡密无效",
        "Card code / point card does not work, already used, wrong, expired",
    ),
    Intent(
        "account_security",
        "账号安全",
        "Account security",
        "账号被盗",
        "Account stolen, unknown login, money gone, scammed by a fake agent",
        handoff=True,
        urgent=True,
    ),
    Intent(
        "account_access",
        "登录与账号",
        "Account access",
        "登录/冻结",
        "Cannot log in, frozen or restricted account, password reset, real-name",
    ),
    Intent(
        "withdrawal",
        "提现",
        "Withdrawal",
        "提现问题",
        "Withdrawing balance: failed, slow, fees, limits",
    ),
    Intent(
        "membership",
        "会员",
        "Membership",
        "会员等级",
        "Platform membership level, VIP benefits, video-membership products",
    ),
    Intent(
        "complaint",
        "投诉",
        "Complaint",
        "我要投诉",
        "Wants to complain about service, agent, merchant",
        handoff=True,
    ),
    Intent("human_agent", "转人工", "Human agent", "转人工", "Asks for a human", handoff=True),
    Intent(
        "channel_verify",
        "官方渠道核验",
        "Verify official channel",
        "核实客服身份",
        "Is this QQ / WeChat / phone / site / 工号 really official",
    ),
    Intent(
        "merchant_business",
        "商户合作",
        "Merchant business",
        "商户入驻",
        "Opening a shop, supply, API integration, settlement, deposits",
    ),
    Intent("greeting", "问候", "Greeting", "你好", "Hello, are you there, thanks, goodbye"),
    Intent("other", "其他", "Other", "其他问题", "Anything else"),
)

INTENT_CODES: tuple[str, ...] = tuple(i.code for i in INTENTS)
HANDOFF_INTENTS: frozenset[str] = frozenset(i.code for i in INTENTS if i.handoff)
URGENT_INTENTS: frozenset[str] = frozenset(i.code for i in INTENTS if i.urgent)
_BY_CODE = {i.code: i for i in INTENTS}


def intent_by_code(code: str) -> Intent:
    """The built-in intent for ``code``; unknown (tenant) codes get a generic entry."""
    found = _BY_CODE.get(code)
    if found is not None:
        return found
    return Intent(code, code, code, code, "tenant-defined intent")
