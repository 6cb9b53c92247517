"""Categories: what a problem is about. One taxonomy for the bot and the ticket form.

A category *is* an intent code of the bot (stored in ``conversations.category`` and in
timelines; a contract: labels may change, codes may not). Everything that depends on
the kind of problem lives here, on the category, and nowhere else: the department it
is routed to, its urgency (priority points), whether it is urgent (hand over at once,
priority 紧急), whether it is a complex case (the long resolution target), whether it
is about an order, whether the bot hands it over.

The help-center form offers fewer, broader choices (充值未到账, 账号安全, 预约回电, …);
each form choice maps onto one category (:data:`FORM_CATEGORIES`), so a 账号安全 ticket
is treated exactly like an ``account_security`` chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Department(StrEnum):
    """The default departments (``departments.code``)."""

    PRESALES = "presales"  # 售前咨询: products, prices, how to buy
    RECHARGE = "recharge"  # 充值售后: not arrived, card codes, order status
    REFUND = "refund"  # 退款财务: refunds, withdrawals, double charges
    SECURITY = "security"  # 账号安全: stolen accounts, fraud, official-channel checks
    MERCHANT = "merchant"  # 商户: merchant onboarding, settlement, merchant disputes


class Urgency(StrEnum):
    """Why a problem cannot wait; each urgency adds priority points (priority.py)."""

    ACCOUNT_SECURITY = "account_security"  # 账号被盗、异常登录
    FUNDS_AT_RISK = "funds_at_risk"  # 已扣款未到账、重复扣款、余额异常


class Category(StrEnum):
    RECHARGE_NOT_RECEIVED = "recharge_not_received"
    PAYMENT_FAILED = "payment_failed"
    REFUND = "refund"
    ORDER_STATUS = "order_status"
    CARD_INVALID = "card_invalid"
    ACCOUNT_SECURITY = "account_security"
    ACCOUNT_ACCESS = "account_access"
    WITHDRAWAL = "withdrawal"
    MEMBERSHIP = "membership"
    COMPLAINT = "complaint"
    HUMAN_AGENT = "human_agent"
    CHANNEL_VERIFY = "channel_verify"
    MERCHANT_BUSINESS = "merchant_business"
    GREETING = "greeting"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    """One category with everything that follows from it."""

    code: str
    label_zh: str
    label_en: str
    quick_reply_zh: str
    description: str
    department: str = Department.PRESALES
    urgency: Urgency | None = None
    urgent: bool = False  # hand over at once, priority 紧急
    complex: bool = False  # the long (complex-case) resolution target
    order_related: bool = False  # an order number is needed / looked up
    handoff: bool = False  # the bot hands over as soon as it recognises it
    informative: bool = True  # says something about the problem (greeting does not)

    @property
    def urgencies(self) -> tuple[Urgency, ...]:
        return (self.urgency,) if self.urgency is not None else ()


_SECURITY = Urgency.ACCOUNT_SECURITY
_FUNDS = Urgency.FUNDS_AT_RISK

CATEGORIES: tuple[CategoryInfo, ...] = (
    CategoryInfo(
        Category.RECHARGE_NOT_RECEIVED,
        "充值未到账",
        "Top-up not received",
        "充值没到账",
        "Paid for a top-up / card / credit but it has not arrived",
        department=Department.RECHARGE,
        urgency=_FUNDS,
        order_related=True,
    ),
    CategoryInfo(
        Category.PAYMENT_FAILED,
        "支付失败",
        "Payment failed",
        "支付失败/扣款",
        "Payment did not go through, was charged twice, or charged without an order",
        department=Department.REFUND,
        urgency=_FUNDS,
    ),
    CategoryInfo(
        Category.REFUND,
        "退款",
        "Refund",
        "申请退款",
        "Wants money back, asks refund progress or rules",
        department=Department.REFUND,
        urgency=_FUNDS,
        complex=True,
        order_related=True,
    ),
    CategoryInfo(
        Category.ORDER_STATUS,
        "订单查询",
        "Order status",
        "查订单",
        "Where is my order, has it shipped, what does the status mean",
        department=Department.RECHARGE,
        order_related=True,
    ),
    CategoryInfo(
        Category.CARD_INVALID,
        "卡密无效",
        "Card code invalid",
        "卡密无效",
        "Card code / point card does not work, already used, wrong, expired",
        department=Department.RECHARGE,
        complex=True,
        order_related=True,
    ),
    CategoryInfo(
        Category.ACCOUNT_SECURITY,
        "账号安全",
        "Account security",
        "账号被盗",
        "Account stolen, unknown login, money gone, scammed by a fake agent",
        department=Department.SECURITY,
        urgency=_SECURITY,
        urgent=True,
        complex=True,
        handoff=True,
    ),
    CategoryInfo(
        Category.ACCOUNT_ACCESS,
        "登录与账号",
        "Account access",
        "登录/冻结",
        "Cannot log in, frozen or restricted account, password reset, real-name",
        department=Department.SECURITY,
        urgency=_SECURITY,
    ),
    CategoryInfo(
        Category.WITHDRAWAL,
        "提现",
        "Withdrawal",
        "提现问题",
        "Withdrawing balance: failed, slow, fees, limits",
        department=Department.REFUND,
        urgency=_FUNDS,
    ),
    CategoryInfo(
        Category.MEMBERSHIP,
        "会员",
        "Membership",
        "会员等级",
        "Platform membership level, VIP benefits, video-membership products",
    ),
    CategoryInfo(
        Category.COMPLAINT,
        "投诉",
        "Complaint",
        "我要投诉",
        "Wants to complain about service, agent, merchant",
        department=Department.REFUND,
        complex=True,
        handoff=True,
    ),
    CategoryInfo(
        Category.HUMAN_AGENT,
        "转人工",
        "Human agent",
        "转人工",
        "Asks for a human",
        handoff=True,
        informative=False,
    ),
    CategoryInfo(
        Category.CHANNEL_VERIFY,
        "官方渠道核验",
        "Verify official channel",
        "核实客服身份",
        "Is this QQ / WeChat / phone / site / 工号 really official",
        department=Department.SECURITY,
    ),
    CategoryInfo(
        Category.MERCHANT_BUSINESS,
        "商户合作",
        "Merchant business",
        "商户入驻",
        "Opening a shop, supply, API integration, settlement, deposits",
        department=Department.MERCHANT,
    ),
    CategoryInfo(
        Category.GREETING,
        "问候",
        "Greeting",
        "你好",
        "Hello, are you there, thanks, goodbye",
        informative=False,
    ),
    CategoryInfo(Category.OTHER, "其他", "Other", "其他问题", "Anything else", informative=False),
)
_BY_CODE: dict[str, CategoryInfo] = {c.code: c for c in CATEGORIES}


# -- the help-center form -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormCategory:
    """One choice of the ticket form. ``key`` is the form's value (stable in links such as
    ``/ticket?category=callback``); ``category`` is what is stored and decides routing,
    urgency, priority and SLA."""

    key: str
    category: Category
    label_zh: str
    label_en: str
    hint: str
    error_hint: str = "例如：充值失败，请稍后再试（错误码 5003）"
    tried_hint: str = "例如：重新登录游戏、等待 30 分钟、联系了在线客服"

    @property
    def info(self) -> CategoryInfo:
        return _BY_CODE[self.category]

    @property
    def order_required(self) -> bool:
        return self.info.order_related

    @property
    def department(self) -> str:
        return self.info.department

    @property
    def label(self) -> str:
        return self.label_zh

    @property
    def code(self) -> str:  # the form's value
        return self.key


FORM_CATEGORIES: tuple[FormCategory, ...] = (
    FormCategory(
        "recharge",
        Category.RECHARGE_NOT_RECEIVED,
        "充值未到账",
        "Top-up not received",
        "哪个游戏 / 账号，充值了多少",
    ),
    FormCategory(
        "card_code",
        Category.CARD_INVALID,
        "卡密无效 / 已被使用",
        "Card code invalid / used",
        "卡密前 4 位即可，不要填完整卡密",
    ),
    FormCategory("refund", Category.REFUND, "退款", "Refund", "退款原因，原路退回还是余额"),
    FormCategory(
        "account",
        Category.ACCOUNT_SECURITY,
        "账号安全",
        "Account security",
        "异常登录、被盗、绑定手机更换",
    ),
    FormCategory(
        "callback",
        Category.HUMAN_AGENT,
        "预约回电",
        "Call-back",
        "方便接电话的时间段，想咨询的问题",
    ),
    FormCategory("other", Category.OTHER, "其他问题", "Other", "请尽量写清楚发生了什么"),
)
FORM_CATEGORY_BY_KEY: dict[str, FormCategory] = {f.key: f for f in FORM_CATEGORIES}
#: Form keys that were stored as categories before the form used the taxonomy.
_LEGACY_CODES: dict[str, Category] = {
    f.key: f.category for f in FORM_CATEGORIES if f.key not in _BY_CODE
}


def category_info(code: str | None) -> CategoryInfo | None:
    """The category for a stored code: a built-in intent, a legacy form key (``account``
    stored by old tickets), or a tenant-defined intent (generic properties, its code as
    label). None for no category."""
    if not code:
        return None
    key = code.strip().lower()
    found = _BY_CODE.get(key)
    if found is None and key in _LEGACY_CODES:
        found = _BY_CODE[_LEGACY_CODES[key]]
    if found is not None:
        return found
    return CategoryInfo(code, code, code, code, "tenant-defined intent")


def category_label(code: str | None, lang: str = "zh") -> str:
    info = category_info(code)
    if info is None:
        return "未分类" if lang == "zh" else "Uncategorised"
    return info.label_zh if lang == "zh" else info.label_en
