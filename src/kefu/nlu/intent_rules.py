"""High-precision phrasings that override the intent model (confidence raised to 0.95).

Only situations that are nearly always one intent, whatever the rest of the message
says: a request for a person, a theft or fraud described in plain words, a complaint,
a question whether a contact is official, a locked account. Checked in priority order on
the normalised text (simplified Chinese, lower-case latin, pinyin phrases rewritten).
"""

from __future__ import annotations

import re

__all__ = ["RULES", "asks_about_process", "rule_intent"]

_SECURITY = re.compile(
    r"被盗|盗号|号被盗|盗刷|被骗|骗走|被人(?:登录|登陆|转走|盗|改了?密码|换绑|绑定|买了)"
    r"|(?:假|冒充|冒牌)(?:的)?客服.{0,12}(?:骗|坑|转账|验证码|钱)"
    r"|不是我(?:本人)?(?:操作|花|买|弄|登|改|绑|下单|充|转)"
    r"|(?:我)?(?:没有?|从没|并没有?)(?:申请|操作|请求|点|改|登录|登陆|下单|买|授权).{0,10}"
    r"(?:验证码|改密|修改密码|密码(?:被)?(?:改|修改|重置)|登录|登陆|扣|订单|提现|转账)"
    r"|异地登录|异常登录|陌生(?:设备|手机|地方|城市|ip)(?:的)?登录|别人登(?:录|陆|了)我"
    r"|验证码.{0,8}(?:发给|告诉|给了|报给)"
    r"|(?<!失败)(?<!失败了)(?<!不成功)(?<!没成功)(?<!但是)(?<!但)(?<!可)"
    r"(?:余额|钱|资金|金币|点券).{0,8}(?:全)?(?:没了|不见了|被转走|被提走|少了|被划走|被扣光)"
    r"|(?:转账|转了钱|转完|付了钱|扫码付).{0,10}(?:联系不上|拉黑|删了我|不回|跑了)"
    r"|(?:转账|交钱|付款|打款|保证金|手续费|刷流水).{0,8}(?:解冻|激活|解封|恢复)"
    r"|解冻.{0,8}(?:转账|交钱|打款|保证金|手续费)"
    r"|(?:密码|手机号|绑定(?:的)?手机|邮箱).{0,6}被(?:人)?(?:改|换)"
    r"|(?:验证码|短信|通知|提醒).{0,12}(?:不认识|陌生|别人|不是我)的?(?:手机|号码|号|邮箱|设备)"
    r"|(?:变成|换成|改成|绑成|绑到)了?(?:别人|陌生人|不认识的人|一个陌生|一个不认识)"
    r"|(?:身份证|身份|名字|实名).{0,10}被(?:别人|人|陌生人)?(?:拿去|冒用|盗用|注册|用)"
    r"|(?:别人|陌生人|有人)(?:用|拿)我的?(?:身份证|身份|名字|实名)"
    r"|hacked|stolen account|account (?:was |got |has been )?(?:stolen|hacked|compromised)"
    r"|someone (?:logged|changed|stole|used)|not me who"
)
# "is it something a person has to handle?" asks about the process, it is no request
_HYPOTHETICAL = re.compile(
    r"(?:是不是|是否|要不要|需不需要|用不用|得不得)(?:要|得|需要)?(?:找|转|让|请)?(?:人工|投诉)"
    r"|还是(?:要|需要|得)(?:找|转|让|请)?人工(?!吧)"
    r"|(?:投诉|人工)(?:处理)?还是|需要(?:找|转)?人工(?:处理)?吗"
)
_HUMAN = re.compile(
    r"转人工|人工客服|转接人工|^(?:找|要|转|请|接)?人工[!?.,~]*$|找人工|要人工|接通人工|人工服务"
    r"|不要机器人|别(?:让)?机器人|不想(?:跟|和)机器人|^真人[!?.,]*$|找个真人|真人客服|活人"
    r"|(?:跟|和|找)(?:个)?(?:真)?人(?:说|讲|谈|聊|沟通)|安排.{0,4}(?:客服|人工|专人|工作人员)"
    r"|(?:安排|让|请|麻烦|叫)(?:个|一个|你们)?的?(?:客服|人工|专人|工作人员|人)"
    r".{0,4}(?:打电话|回电|回个电话|联系我|给我打)|给我回(?:个)?电话|回电给我"
    r"|(?:叫|让|找|喊)(?:你们)?(?:的)?(?:经理|主管|领导|负责人|老板|上级)"
    r"|(?:real|live|actual) (?:person|human|agent)|speak (?:to|with) (?:a |an |your )?"
    r"(?:human|person|agent|someone|manager|supervisor)|talk (?:to|with) (?:a |an )?"
    r"(?:human|person|agent|someone|manager)|human agent|^(?:human|agent|operator)[!?. ]*$"
    r"|call me(?: back)?\b|(?:want|need|get) (?:a |an |to )?(?:human|person|agent|real person)"
    r"|human please|are you (?:a )?(?:human|real)"
)
_COMPLAINT = re.compile(r"投诉(?!.{0,3}(?:在哪|怎么|流程|电话|渠道))|举报|差评")
_CHANNEL = re.compile(
    r"(?:是|是不是)(?:你们)?(?:的)?官方|官方的吗|真假客服|辨别.{0,4}客服|核实客服|验证客服"
    r"|(?:客服|官网).{0,6}(?:是真的|真的假的|是不是你们)"
)
_ACCESS = re.compile(r"冻结|解冻|封号|被封|登不上|登录不了|登陆不了|忘记密码|找回密码")

RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("account_security", _SECURITY),
    ("human_agent", _HUMAN),
    ("complaint", _COMPLAINT),
    ("channel_verify", _CHANNEL),
    ("account_access", _ACCESS),
)


def rule_intent(normalised: str) -> str | None:
    for intent, pattern in RULES:
        if intent in ("human_agent", "complaint") and _only_hypothetical(pattern, normalised):
            continue
        if pattern.search(normalised):
            return intent
    return None


def _only_hypothetical(pattern: re.Pattern[str], text: str) -> bool:
    """Every mention is a question about the process ("是不是要人工处理", "我要投诉还是能补发")."""
    if not _HYPOTHETICAL.search(text):
        return False
    return not pattern.search(_HYPOTHETICAL.sub("", text))


def asks_about_process(normalised: str) -> bool:
    """The message asks whether a person / a complaint is needed ("是不是要人工处理")."""
    return bool(_HYPOTHETICAL.search(normalised))
