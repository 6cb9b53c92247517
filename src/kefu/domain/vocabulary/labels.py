"""Labels for every code a person may see, in zh-CN and en, from one table.

Templates get them through the ``label`` Jinja global (web/templating.py); the console
and widget scripts get :func:`label_catalogue` as embedded JSON / from
``GET /api/v1/vocabulary``. A code without a label is shown as 「未知」 plus nothing
raw, so a new code is a visible gap in the tests (tests/domain/test_vocabulary.py),
never a raw string on a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from kefu.domain.conversation_state import STATUS_LABELS_ZH, AuthorType, EventType, Status
from kefu.domain.vocabulary.categories import CATEGORIES, Department, Urgency
from kefu.domain.vocabulary.terms import (
    Channel,
    MarketplaceKind,
    OrderStatus,
    OrderUpdateSource,
    Presence,
    PromiseKind,
    RefundRoute,
)

Lang = Literal["zh", "en"]
Pair = tuple[str, str]

_STATUS_EN = {
    Status.BOT: "With the bot",
    Status.QUEUED: "Waiting in queue",
    Status.ASSIGNED: "In progress",
    Status.WAITING_CUSTOMER: "Waiting for customer",
    Status.RESOLVED: "Resolved",
    Status.CLOSED: "Closed",
}

TABLES: dict[str, dict[str, Pair]] = {
    "status": {s.value: (STATUS_LABELS_ZH[s], _STATUS_EN[s]) for s in Status},
    "presence": {
        Presence.ONLINE: ("在线", "Online"),
        Presence.BUSY: ("忙碌", "Busy"),
        Presence.AWAY: ("离开", "Away"),
        Presence.OFFLINE: ("离线", "Offline"),
    },
    "order_status": {
        OrderStatus.PENDING_PAYMENT: ("待支付", "Awaiting payment"),
        OrderStatus.PAID: ("已支付", "Paid"),
        OrderStatus.PROCESSING: ("处理中", "Processing"),
        OrderStatus.PARTIALLY_DELIVERED: ("部分发货", "Partially delivered"),
        OrderStatus.DELIVERED: ("已发货", "Delivered"),
        OrderStatus.COMPLETED: ("已完成", "Completed"),
        OrderStatus.FAILED: ("失败", "Failed"),
        OrderStatus.ABNORMAL: ("异常", "Needs attention"),
        OrderStatus.REFUNDING: ("退款中", "Refunding"),
        OrderStatus.PARTIALLY_REFUNDED: ("部分退款", "Partially refunded"),
        OrderStatus.REFUNDED: ("已退款", "Refunded"),
        OrderStatus.CANCELLED: ("已取消", "Cancelled"),
        OrderStatus.EXPIRED: ("已过期", "Expired"),
    },
    "marketplace": {
        MarketplaceKind.KEFU_API: ("kefu 订单接口", "kefu order API"),
        MarketplaceKind.DUJIAO_NEXT: ("独角数卡 Next", "dujiao-next"),
        MarketplaceKind.DUJIAOKA: ("独角数卡", "dujiaoka"),
    },
    "order_update_source": {
        OrderUpdateSource.WEBHOOK: ("订单系统推送", "pushed by the marketplace"),
        OrderUpdateSource.POLL: ("定时查询", "polled"),
        OrderUpdateSource.LOOKUP: ("刷新订单", "refreshed"),
        OrderUpdateSource.API: ("订单接口", "order API"),
        OrderUpdateSource.REFUND: ("退款", "refund"),
        OrderUpdateSource.REISSUE: ("补发", "re-issue"),
    },
    "refund_route": {
        RefundRoute.ORIGINAL: ("原路退回", "Back to the original payment"),
        RefundRoute.BALANCE: ("退到余额", "To the site balance"),
    },
    "channel": {
        Channel.WEB: ("在线咨询", "Live chat"),
        Channel.TICKET: ("工单", "Ticket"),
        Channel.EMAIL: ("邮件", "Email"),
        Channel.WECHAT: ("微信", "WeChat"),
        Channel.API: ("接口", "API"),
    },
    "promise": {
        PromiseKind.CHAT: ("在线咨询", "Chat"),
        PromiseKind.MESSAGE: ("留言 / 工单", "Message"),
        PromiseKind.CALLBACK: ("回电", "Call-back"),
    },
    "category": {c.code: (c.label_zh, c.label_en) for c in CATEGORIES},
    "department": {
        Department.PRESALES: ("售前咨询", "Pre-sales"),
        Department.RECHARGE: ("充值售后", "Top-up support"),
        Department.REFUND: ("退款财务", "Refunds"),
        Department.SECURITY: ("账号安全", "Account security"),
        Department.MERCHANT: ("商户服务", "Merchants"),
    },
    "urgency": {
        Urgency.ACCOUNT_SECURITY: ("账号安全", "Account security"),
        Urgency.FUNDS_AT_RISK: ("资金风险", "Funds at risk"),
    },
    "priority": {
        "low": ("低", "Low"),
        "normal": ("普通", "Normal"),
        "high": ("高", "High"),
        "urgent": ("紧急", "Urgent"),
    },
    "author": {
        AuthorType.CUSTOMER: ("客户", "Customer"),
        AuthorType.AGENT: ("客服", "Agent"),
        AuthorType.BOT: ("机器人", "Bot"),
        AuthorType.SYSTEM: ("系统", "System"),
    },
    "event": {
        EventType.MESSAGE: ("消息", "Message"),
        EventType.BOT_TURN: ("机器人回复", "Bot answer"),
        EventType.HANDOFF: ("转人工", "Handed to a person"),
        EventType.ASSIGNMENT: ("分配客服", "Assigned"),
        EventType.TRANSFER: ("转接", "Transferred"),
        EventType.NOTE: ("内部备注", "Internal note"),
        EventType.STATUS_CHANGE: ("状态变更", "Status changed"),
        EventType.SLA_WARNING: ("即将超时", "SLA warning"),
        EventType.SLA_BREACH: ("已超时", "SLA breached"),
        EventType.RATING: ("评价", "Rating"),
        EventType.ORDER_UPDATE: ("订单更新", "Order update"),
        EventType.CARD_CODES: ("卡密", "Card codes"),
    },
    "sla_clock": {
        "first_response": ("首次响应", "First response"),
        "resolution": ("解决", "Resolution"),
    },
    "callback_outcome": {
        "reached": ("已接通", "Reached"),
        "no_answer": ("无人接听", "No answer"),
        "wrong_number": ("号码错误", "Wrong number"),
        "cancelled": ("已取消", "Cancelled"),
    },
    # a section of the tenant's configuration (TenantSettings keys, admin pages)
    "settings_section": {
        "official_channels": ("官方渠道", "Official channels"),
        "bot_examples": ("机器人示例语句", "Bot examples"),
        "department_routes": ("部门路由", "Department routes"),
        "sla_policy": ("服务时限（SLA）", "SLA policy"),
        "business_calendar": ("营业时间与节假日", "Business hours and holidays"),
        "routing": ("分配与改派", "Routing and reassignment"),
        "reopen_days": ("工单重开期限", "Ticket reopen window"),
        # settings version 1 (now sla_policy.message_first_response_minutes): old audit rows
        "leave_message_reply_minutes": ("留言回复承诺", "Message reply promise"),
        "support_emails": ("客服邮箱", "Support addresses"),
        "mail_from": ("发件地址", "Sender address"),
        "canned_answers": ("快捷回复", "Canned answers"),
        "allowed_origins": ("允许嵌入的网站", "Allowed widget origins"),
        "order_source": ("订单系统对接", "Order source"),
        "card_codes": ("查看卡密", "Card codes revealed"),
        "agents": ("客服账号", "Staff accounts"),
        "staff_password": ("员工密码", "Staff password"),
        "api_tokens": ("接口令牌", "API tokens"),
        "webhooks": ("Webhook 推送", "Webhooks"),
    },
    # how a staff password was changed (audit log, actions/passwords.py)
    "password_action": {
        "password_changed": ("本人修改", "Changed by the member"),
        "password_reset_link": ("管理员重置（发送重置链接）", "Reset by an admin (link)"),
        "password_reset_temporary": (
            "管理员重置（临时密码，登录后须修改）",
            "Reset by an admin (temporary password)",
        ),
        "password_reset_by_link": ("通过邮件链接重置", "Reset with the e-mailed link"),
    },
    # a field inside a settings section (the audit log's before -> after lines)
    "settings_field": {
        "timezone": ("时区", "Time zone"),
        "always_open": ("全天候营业", "Always open"),
        "weekly": ("每周营业时间", "Weekly hours"),
        "weekdays": ("工作日营业时间", "Weekday hours"),
        "saturday": ("周六营业时间", "Saturday hours"),
        "sunday": ("周日营业时间", "Sunday hours"),
        "holidays": ("额外放假日期", "Extra days off"),
        "makeup_workdays": ("调休上班日期", "Make-up workdays"),
        "china_holidays": ("内置中国节假日", "Built-in Chinese holidays"),
        "chat_first_response_minutes": ("在线咨询首次响应（分钟）", "Chat first response (min)"),
        "message_first_response_minutes": ("留言首次响应（分钟）", "Message first response (min)"),
        "callback_minutes": ("预约回电（分钟）", "Call-back (min)"),
        "simple_resolution_minutes": ("简单问题解决（分钟）", "Simple resolution (min)"),
        "complex_resolution_minutes": ("复杂问题解决（分钟）", "Complex resolution (min)"),
        "complex_categories": ("复杂问题类别", "Complex categories"),
        "warning_ratio": ("预警比例", "Warning share"),
        "reassign_on_breach": ("超时自动改派", "Reassign on breach"),
        "reassign_grace_seconds": ("改派等待（秒）", "Reassignment grace (s)"),
        "kind": ("对接类型", "Marketplace"),
        "base_url": ("接口地址", "Base URL"),
        "api_key": ("API Key", "API key"),
        "api_secret": ("API Secret（加密保存）", "API secret (encrypted)"),
        "hook_token": ("回调密钥（加密保存）", "Hook token (encrypted)"),
        "poll_minutes": ("轮询间隔（分钟）", "Poll interval (min)"),
        "timeout_seconds": ("请求超时（秒）", "Request timeout (s)"),
        "display_name": ("姓名", "Name"),
        "email": ("邮箱", "E-mail"),
        "role": ("角色", "Role"),
        "capacity": ("接待上限", "Capacity"),
        "department": ("部门", "Department"),
        "is_active": ("启用", "Active"),
        "password": ("密码", "Password"),
        "name": ("名称", "Name"),
        "prefix": ("令牌前缀", "Token prefix"),
        "scopes": ("权限范围", "Scopes"),
        "revoked": ("已吊销", "Revoked"),
        **{
            str(i): (day, en)
            for i, (day, en) in enumerate(
                zip(
                    ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
                    ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                    strict=True,
                )
            )
        },
    },
    "official_channel": {
        "qq": ("QQ", "QQ"),
        "wechat": ("微信", "WeChat"),
        "phone": ("电话", "Phone"),
        "website": ("网站", "Website"),
        "agent_id": ("客服工号", "Agent number"),
    },
    "token_scope": {
        "commerce": ("订单与客户", "Orders and customers"),
        "conversations": ("会话", "Conversations"),
        "knowledge": ("知识库", "Knowledge base"),
    },
    "role": {
        "agent": ("客服", "Agent"),
        "supervisor": ("主管", "Supervisor"),
        "admin": ("管理员", "Admin"),
    },
    # why a conversation was handed over or changed status (event data "reason")
    "reason": {
        "button": ("点击转人工", "Asked for a person"),
        "bot": ("机器人转接", "Handed over by the bot"),
        "account_security": ("账号安全，加急处理", "Account security, urgent"),
        "human_agent": ("要求人工", "Asked for a person"),
        "complaint": ("投诉", "Complaint"),
        "negative_sentiment": ("客户情绪激动", "Upset customer"),
        "unhelpful": ("机器人未能解决", "The bot did not help"),
        "handoff": ("转人工", "Handed over"),
        "transfer": ("转接", "Transfer"),
        "reopened": ("重新打开", "Reopened"),
        "customer_replied": ("客户回复", "Customer replied"),
        "customer_reopened": ("客户再次咨询", "Customer wrote again"),
        "agent_offline": ("客服已离线，重新排队", "Agent went offline, back to the queue"),
        "connection_lost": (
            "客服连接已断开，重新排队",
            "Connection lost, back to the queue",
        ),
        "signed_out": ("客服已退出登录，重新排队", "Agent signed out, back to the queue"),
        "bot_failed": ("机器人故障，自动转人工", "The bot failed; handed to a person"),
        "sla_reassign": ("超时未处理，重新分配", "SLA breached, reassigned"),
        "abandoned": ("客户已离开", "Customer left"),
        "resolved": ("已解决", "Resolved"),
        "merged": ("已合并到另一工单", "Merged into another ticket"),
    },
    # the customer's VIP tier (customers.tier)
    "tier": {
        "normal": ("普通会员", "Member"),
        "silver": ("白银会员", "Silver"),
        "gold": ("黄金会员", "Gold"),
        "diamond": ("钻石会员", "Diamond"),
    },
    # the SLA policy's promises (domain/sla.SlaPolicy fields), in reports and /status
    "sla_target": {
        "chat_first_response": ("在线咨询首次响应", "Chat first response"),
        "message_first_response": ("留言/工单首次响应", "Message first response"),
        "callback_first_response": ("回电", "Call-back"),
        "simple_resolution": ("简单问题解决", "Simple issue resolved"),
        "complex_resolution": ("复杂问题解决", "Complex issue resolved"),
        "refund": ("退款到账", "Refund received"),
    },
    # the figures of /reports and its CSV (docs/reports.md has the definitions)
    "report_metric": {
        "conversations": ("会话数", "Conversations"),
        "first_response_median": ("首次人工响应 中位数", "First human response, median"),
        "first_response_p90": ("首次人工响应 P90", "First human response, p90"),
        "first_response_business_median": (
            "首次人工响应 中位数（工作时间）",
            "First human response, median (business time)",
        ),
        "first_response_business_p90": (
            "首次人工响应 P90（工作时间）",
            "First human response, p90 (business time)",
        ),
        "unanswered": ("等待人工但未获回复", "Waiting for a person, no reply"),
        "resolution_median": ("解决时长 中位数", "Resolution time, median"),
        "resolution_p90": ("解决时长 P90", "Resolution time, p90"),
        "full_resolution_median": ("最终解决时长 中位数", "Full resolution time, median"),
        "reopen_rate": ("重开率", "Reopen rate"),
        "reached_queue": ("进入人工排队", "Reached the queue"),
        "abandoned": ("排队中放弃", "Abandoned in queue"),
        "missed": ("未接待即结束", "Missed (ended without a person)"),
        "abandon_wait_median": ("放弃前等待 中位数", "Wait before abandoning, median"),
        "with_bot": ("机器人接待", "Handled by the bot"),
        "containment": ("机器人独立解决率", "Bot containment"),
        "handoff_rate": ("转人工率", "Handoff rate"),
        "flagged": ("客户反馈机器人没用", "Bot answers flagged by customers"),
        "confident_wrong": ("高置信却答错", "Confident-wrong answers"),
        "breaches": ("超时次数", "SLA breaches"),
        "escalations": ("升级次数", "Escalations"),
        "csat": ("满意度（4–5 星 ÷ 评价数）", "CSAT (4–5 stars / rated)"),
        "rated": ("评价数", "Rated"),
        "round_3min": ("3分钟人工响应率", "3-minute human response rate"),
        "answer_30s": ("30秒应答率", "30-second answer rate"),
    },
}

UNKNOWN: Pair = ("未知", "Unknown")


def label(kind: str, code: object, lang: Lang | str = "zh") -> str:
    """The label of ``code`` in table ``kind``; categories fall back to tenant codes' own
    names; anything else unknown is 「未知」 (never the raw code)."""
    value = "" if code is None else str(code)
    if kind == "category":
        from kefu.domain.vocabulary.categories import category_label

        return category_label(value or None, "en" if lang == "en" else "zh")
    pair = TABLES.get(kind, {}).get(value, UNKNOWN)
    return pair[1] if lang == "en" else pair[0]


def labels_zh(kind: str) -> Mapping[str, str]:
    """One table as {code: 中文}, for templates that look up many codes."""
    return {code: pair[0] for code, pair in TABLES[kind].items()}


def label_catalogue(lang: Lang | str = "zh") -> dict[str, dict[str, str]]:
    """Every table in one language, for the console and the widget scripts."""
    index = 1 if lang == "en" else 0
    return {
        kind: {code: pair[index] for code, pair in table.items()} for kind, table in TABLES.items()
    }
