"""Canned answers (快捷回复): a tenant's shared ones and each agent's own, with variables.

An answer is stored in ``TenantSettings.canned_answers`` (written by the admin console or
``PATCH /api/v1/tenant/settings``); ``agent_no`` set = that agent's own answer, empty =
shared by every agent. A tenant that never configured any gets :data:`DEFAULT_ANSWERS`
(the seven the console had fixed in code). The text may use the variables of
:data:`VARIABLES`; any other ``{name}`` is refused on write, so rendering never fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from string import Formatter
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: variable -> (zh, en) description, shown in the admin form.
VARIABLES: dict[str, tuple[str, str]] = {
    "agent_name": ("客服姓名", "the agent's name"),
    "agent_no": ("客服工号", "the agent's 工号"),
    "customer_name": ("客户称呼", "the customer's name"),
    "order_no": ("订单号", "the conversation's order number"),
    "number": ("会话编号", "the conversation number"),
}


class CannedAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[str, Field(min_length=1, max_length=40)]
    text: Annotated[str, Field(min_length=1, max_length=2000)]
    #: empty: shared by the whole tenant; a 工号: only that agent sees it.
    agent_no: Annotated[str, Field(max_length=32)] = ""

    @field_validator("title", "text", "agent_no")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("text")
    @classmethod
    def _variables(cls, value: str) -> str:
        try:
            names = [name for _lit, name, _spec, _conv in Formatter().parse(value) if name]
        except ValueError:
            raise ValueError("unbalanced braces: write {{ and }} for a literal brace") from None
        unknown = [n for n in names if n not in VARIABLES]
        if unknown:
            raise ValueError(f"unknown variable {{{unknown[0]}}}; known: {', '.join(VARIABLES)}")
        if not value:
            raise ValueError("empty")
        return value


def _a(title: str, text: str) -> CannedAnswer:
    return CannedAnswer(title=title, text=text)


DEFAULT_ANSWERS: tuple[CannedAnswer, ...] = (
    _a(
        "问候",
        "您好，我是客服{agent_name}（工号 {agent_no}），很高兴为您服务。请问有什么可以帮您？",
    ),
    _a("核实订单", "麻烦您提供一下订单号（KM 开头），我马上为您查询。"),
    _a(
        "充值处理中",
        "您的订单正在上游渠道处理中，一般 10 分钟内到账，请您稍等，到账后我会通知您。",
    ),
    _a("已补发", "已为您重新提交充值，请在 5 分钟后查看是否到账。"),
    _a("退款说明", "退款已提交，原路退回，预计 1–3 个工作日到账。"),
    _a("防骗提醒", "温馨提示：官方客服不会向您索要密码或短信验证码，请勿透露给任何人。"),
    _a("结束语", "请问还有其他可以帮您的吗？如果没有，我先为您结束本次会话，感谢您的耐心。"),
)


def answers_for(configured: Sequence[CannedAnswer] | None, agent_no: str) -> list[CannedAnswer]:
    """The answers one agent sees: the shared ones, then their own."""
    answers = DEFAULT_ANSWERS if configured is None else tuple(configured)
    shared = [a for a in answers if not a.agent_no]
    return shared + [a for a in answers if a.agent_no and a.agent_no == agent_no]


def render_answer(answer: CannedAnswer, values: Mapping[str, str]) -> str:
    """The text with its variables filled; a value we do not know stays a readable blank."""
    return answer.text.format_map({name: values.get(name) or "____" for name in VARIABLES})
