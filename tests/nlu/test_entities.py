from __future__ import annotations

from kefu.nlu.entities import extract_entities
from kefu.nlu.normalise import normalise


def kinds(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in extract_entities(normalise(text)):
        out.setdefault(e.kind, []).append(e.value)
    return out


def test_order_amount_time_product() -> None:
    got = kinds("订单KM20261122153012345充了100元话费，10分钟前付的")
    assert got["order_no"] == ["KM20261122153012345"]
    assert got["amount"] == ["100"]
    assert got["time"] == ["10分钟前"]
    assert got["product"] == ["话费"]


def test_plain_order_number_after_keyword() -> None:
    assert kinds("订单号：2026112215301234567 没到")["order_no"] == ["2026112215301234567"]


def test_absolute_time_and_yuan_sign() -> None:
    got = kinds("2026-11-22 15:30 付了¥50")
    assert got["time"] == ["2026-11-22T15:30"]
    assert got["amount"] == ["50"]


def test_contacts() -> None:
    assert kinds("客服QQ 800012345 是官方吗")["qq"] == ["800012345"]
    assert kinds("扣扣号123456789")["qq"] == ["123456789"]
    assert kinds("加我vx: kamengkf01")["wechat"] == ["kamengkf01"]
    assert kinds("手机13812345678")["phone"] == ["13812345678"]
    assert kinds("www.kameng-pay.com 是官网吗")["website"] == ["www.kameng-pay.com"]


def test_agent_ids() -> None:
    assert kinds("工号8012说要验证码")["agent_id"] == ["8012"]
    assert kinds("KF8012是你们的人吗")["agent_id"] == ["KF8012"]


def test_gazetteer_aliases() -> None:
    assert kinds("吃鸡的uc没到")["product"] == ["和平精英"]
    assert kinds("腾讯视频会员")["product"] == ["腾讯视频会员"]
    assert kinds("一百块")["amount"] == ["100"]
