"""What the bot says, in Chinese and English. One catalogue, keyed by situation; the
policy picks the customer's language (``zh`` / ``en``)."""

from __future__ import annotations

from kefu.nlu.intents import intent_by_code

__all__ = ["ORDER_STATUS", "QUICK_REPLY_EN", "TEXT", "quick_reply_label", "say"]

TEXT: dict[str, dict[str, str]] = {
    "never_ask": {
        "zh": "客服不会索要密码、验证码，也不会要求转账。",
        "en": "Our staff never ask for passwords or verification codes, and never ask you "
        "to transfer money.",
    },
    "secret_warning": {
        "zh": "为了您的安全，请勿发送密码/验证码/卡密/银行卡号/身份证号，客服不会向您索要。",
        "en": "For your safety, please do not send passwords, verification codes, card "
        "codes, bank-card or ID numbers; our staff will never ask for them. ",
    },
    "button": {
        "zh": "正在为您转接人工客服，请稍候，排队期间您可以继续描述问题。",
        "en": "Connecting you to a human agent now. While you wait, feel free to describe "
        "the problem.",
    },
    "security": {
        "zh": "已为您加急转接人工客服。请立即修改登录密码和支付密码，并在“账号安全”中一键冻结账号；"
        "如已转账被骗，请保留凭证并拨打 110 报警。",
        "en": "I am connecting you to a human agent urgently. Right now: change your login "
        "and payment passwords and freeze the account under “Account security”; if you "
        "transferred money to a scammer, keep the receipts and call the police (110). ",
    },
    "human_agent": {
        "zh": "好的，正在为您转接人工客服，请稍候。",
        "en": "Sure, connecting you to a human agent now. Please hold on.",
    },
    "complaint": {
        "zh": "非常抱歉给您带来不好的体验，正在为您转接客服主管处理投诉。",
        "en": "I am very sorry about this. I am passing your complaint to a supervisor now.",
    },
    "negative_sentiment": {
        "zh": "非常抱歉让您着急了，正在为您转接人工客服优先处理。",
        "en": "I am sorry for the trouble. I am connecting you to a human agent with priority.",
    },
    "unhelpful": {
        "zh": "抱歉没能解决您的问题，正在为您转接人工客服。",
        "en": "Sorry I could not solve this. I am connecting you to a human agent now.",
    },
    "unhelpful_once": {
        "zh": "抱歉没能帮到您。您可以换个说法描述问题（附上订单号更快），或直接转人工。",
        "en": "Sorry that did not help. Could you describe the problem in other words (an "
        "order number helps), or talk to a human agent?",
    },
    "greeting": {
        "zh": "您好，我是智能客服，请直接描述您的问题（附上订单号更快），或选择下面的常见问题。",
        "en": "Hello, I am the assistant. Tell me what happened (an order number helps), or "
        "pick a common topic below.",
    },
    "greeting_again": {
        "zh": "不客气！还有其他问题随时告诉我，也可以选择下面的常见问题。",
        "en": "You are welcome! If anything else comes up, tell me here or pick a topic below.",
    },
    "clarify": {
        "zh": "我想确认一下，您问的是下面哪一项？点一下就行，也可以换个说法描述，或直接转人工。",
        "en": "Let me make sure I understand: is it one of the topics below? Tap one, describe "
        "it in other words, or talk to a human agent.",
    },
    "out_of_scope": {
        "zh": "抱歉，这个我帮不上忙。我可以帮您处理：充值到账、订单查询、退款、卡密问题、支付、"
        "提现、登录与账号安全、核实客服是否官方。请选择下面的问题，或直接转人工。",
        "en": "Sorry, I cannot help with that. I can help with top-ups that did not arrive, "
        "orders, refunds, card codes, payments, withdrawals, log-in and account security, "
        "and checking whether a contact is really ours. Pick a topic below or talk to a "
        "human agent.",
    },
    "resolved": {
        "zh": "很高兴帮到您！如还有其他问题，随时在这里留言。",
        "en": "Glad I could help! If anything else comes up, just write here.",
    },
    "no_answer": {
        "zh": "抱歉，这个问题我暂时回答不了，您可以换个说法或转人工。",
        "en": "Sorry, I cannot answer that yet. Try other words or talk to a human agent.",
    },
    "channel_ask": {
        "zh": "请把对方的 QQ、微信号、电话、网址或客服工号发给我，我帮您核对是否为官方。",
        "en": "Send me the QQ, WeChat id, phone number, website or agent number you were "
        "contacted from and I will check whether it is ours. ",
    },
    "channel_list": {
        "zh": "我们的官方渠道有：{listing}。",
        "en": "Our official channels: {listing}. ",
    },
    "channel_official": {
        "zh": "{kind} {value} 是官方渠道{label}。",
        "en": "{kind} {value} is an official channel{label}. ",
    },
    "channel_fake": {
        "zh": "{kind} {value} 不是我们的官方渠道，请不要相信，也不要向对方付款或提供任何信息。",
        "en": "{kind} {value} is NOT one of our official channels: do not trust it, do not "
        "pay it or give it any information. ",
    },
    "order_wait_more": {
        "zh": "如超过预计时间仍未到账，您可以申请退款或转人工。",
        "en": "If it has not arrived by then, you can ask for a refund or a human agent.",
    },
    "order_line": {"zh": "订单 {order_no} {status}。", "en": "Order {order_no}: {status}. "},
    "article_zh_only": {
        "zh": "",
        "en": "(This help article is only available in Chinese.) ",
    },
}

ORDER_STATUS: dict[str, dict[str, str]] = {
    "pending_payment": {
        "zh": "待支付，请在 15 分钟内完成支付，超时订单会自动关闭",
        "en": "waiting for payment; please pay within 15 minutes or it closes automatically",
    },
    "paid": {
        "zh": "已支付，上游渠道处理中，预计 {eta} 分钟内到账",
        "en": "paid and being processed by the supplier; it should arrive within {eta} minutes",
    },
    "processing": {
        "zh": "已支付，上游渠道处理中，预计 {eta} 分钟内到账",
        "en": "paid and being processed by the supplier; it should arrive within {eta} minutes",
    },
    "completed": {
        "zh": "已完成，商品已发出/已充入您的账号，请重新登录查看",
        "en": "completed: delivered to your account; please log in again to see it",
    },
    "delivered": {
        "zh": "已完成，商品已发出/已充入您的账号，请重新登录查看",
        "en": "completed: delivered to your account; please log in again to see it",
    },
    "cancelled": {
        "zh": "已取消，如已付款，款项会原路退回",
        "en": "cancelled; if you paid, the money goes back the way you paid",
    },
    "failed": {
        "zh": "充值失败，款项会原路退回，支付宝/微信 1–3 个工作日到账",
        "en": "failed; the money goes back the way you paid (Alipay/WeChat, 1–3 working days)",
    },
    "refunding": {
        "zh": "正在退款，款项会原路退回，支付宝/微信 1–3 个工作日到账",
        "en": "being refunded the way you paid (Alipay/WeChat, 1–3 working days)",
    },
    "refunded": {
        "zh": "已退款，款项已原路退回，请查看支付账户",
        "en": "refunded to the account you paid from",
    },
    "partially_delivered": {
        "zh": "部分已发货，其余仍在处理中，预计 {eta} 分钟内发完",
        "en": "partly delivered; the rest is still being processed (within {eta} minutes)",
    },
    "abnormal": {
        "zh": "状态异常，需要人工核实，请点“转人工”，客服会为您查明",
        "en": "flagged by the shop for a manual check; choose “human agent” and we will look",
    },
    "partially_refunded": {
        "zh": "已部分退款，退款部分已原路退回，请查看支付账户",
        "en": "partly refunded; the refunded part went back to the account you paid from",
    },
    "expired": {
        "zh": "已过期（未在时限内支付），未扣款；如已付款请转人工",
        "en": "expired (not paid in time), nothing was charged; if you did pay, ask an agent",
    },
    "not_found": {
        "zh": "在您当前登录的账号下查不到，请核对订单号（KM 开头）是否完整；如果是您的订单，"
        "请点“验证订单”用订单号和手机尾号验证身份后再查，或转人工",
        "en": "cannot be shown for the account you are signed in with. Check the number "
        "(it starts with KM); if it is your order, verify it with the order number and the "
        "last 4 digits of your phone (“Verify order”), or ask a human agent",
    },
}

QUICK_REPLY_EN: dict[str, str] = {
    "recharge_not_received": "Top-up not received",
    "payment_failed": "Payment problem",
    "refund": "Refund",
    "order_status": "Check an order",
    "card_invalid": "Card code invalid",
    "account_security": "Account stolen",
    "account_access": "Log-in / frozen",
    "withdrawal": "Withdrawal",
    "membership": "Membership",
    "complaint": "Complaint",
    "human_agent": "Human agent",
    "channel_verify": "Is this contact official?",
    "merchant_business": "Merchant business",
    "greeting": "Hello",
    "other": "Something else",
}

_BUTTONS = {
    "handoff": {"zh": "转人工", "en": "Human agent"},
    "resolved": {"zh": "已解决", "en": "Solved"},
    "unresolved": {"zh": "没解决", "en": "Not solved"},
}


def say(key: str, lang: str, **values: object) -> str:
    entry = TEXT[key]
    text = entry.get(lang) or entry["zh"]
    return text.format(**values) if values else text


def quick_reply_label(code: str, lang: str) -> str:
    if code in _BUTTONS:
        return _BUTTONS[code].get(lang, _BUTTONS[code]["zh"])
    if lang == "en":
        return QUICK_REPLY_EN.get(code) or intent_by_code(code).label_en
    return intent_by_code(code).quick_reply_zh
