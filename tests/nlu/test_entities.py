from __future__ import annotations

from kefu.nlu.entities import all_of, entity_text, extract_entities
from kefu.nlu.pipeline import understand


def kinds(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in understand(text).entities:
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


def test_wechat_ids_keep_underscores_and_dashes() -> None:
    assert kinds("加我微信 kameng_kf01 是官方吗")["wechat"] == ["kameng_kf01"]
    assert kinds("vx: Kefu-Service_88 让我加")["wechat"] == ["kefu-service_88"]
    assert kinds("weixin:abc_def-12")["wechat"] == ["abc_def-12"]


def test_phones_with_separators_and_service_numbers() -> None:
    assert kinds("打我电话138 0013 8000")["phone"] == ["13800138000"]
    assert kinds("+86 138-0013-8000 是谁")["phone"] == ["13800138000"]
    assert kinds("客服电话 400-600-8899 对吗")["phone"] == ["4006008899"]
    assert kinds("4006008899是你们的吗")["phone"] == ["4006008899"]
    assert kinds("座机 021-61234567")["phone"] == ["02161234567"]


def test_sub_domains_and_look_alikes() -> None:
    assert kinds("pay.kameng.com 是你们的吗")["website"] == ["pay.kameng.com"]
    assert kinds("https://kameng-com.cn/login 让我登录")["website"] == [
        "https://kameng-com.cn/login"
    ]


def test_every_order_number_in_a_message() -> None:
    got = kinds("訂單 KM20261125000123456 和 D202611250001234，还有 2026112512345678901")
    assert got["order_no"] == ["KM20261125000123456", "D202611250001234", "2026112512345678901"]
    assert kinds("订单号 2026 1125 1234 5678 901 没到")["order_no"] == ["2026112512345678901"]
    ents = extract_entities(entity_text("km20261125000123456 km20261125000123456"))
    assert all_of(ents, "order_no") == ["KM20261125000123456"]


def test_phone_is_not_an_order_and_qq_is_not_a_phone() -> None:
    got = kinds("QQ 800012345，手机 13800138000")
    assert got["qq"] == ["800012345"] and got["phone"] == ["13800138000"]
    assert "order_no" not in got
