"""parse_email on real-world fixtures: decoding, attachments, ticket numbers, loop flags."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.channels.email import parse_email

Load = Callable[[str], bytes]


def test_plain_utf8(eml: Load) -> None:
    mail = parse_email(eml("plain_utf8.eml"))
    assert mail.from_address == "liming@example.com"
    assert mail.from_name == "李明"
    assert mail.to == ("support@kamen.example",)
    assert mail.subject == "点卡充值失败，工单 KF-20261121-000045 还没人处理"
    assert "提示「卡密已使用」" in mail.text
    assert mail.ticket_number == "KF-20261121-000045"
    assert mail.message_id == "<plain-utf8-1@example.com>"
    assert mail.date == datetime(2026, 11, 22, 1, 15, tzinfo=UTC)
    assert mail.html is None
    assert not mail.is_automated
    assert mail.defects == ()


def test_quoted_printable_utf8(eml: Load) -> None:
    mail = parse_email(eml("qp_utf8.eml"))
    assert mail.subject == "游戏充值未到账"
    assert mail.from_name == "Wang Fang"
    # the soft line breaks of quoted-printable split multi-byte characters
    assert "钻石一直没到账，已经等了两个小时了" in mail.text
    assert mail.text.endswith("错误提示：订单处理中")
    assert mail.ticket_number is None
    assert mail.defects == ()


def test_foxmail_gbk_declared_as_gb2312(eml: Load) -> None:
    mail = parse_email(eml("foxmail_gbk.eml"))
    # 喆 is GBK but not GB2312: the declared charset is wrong, as Foxmail sends it
    assert mail.from_name == "张喆"
    assert mail.from_address == "zhangzhe@qq.com"
    # two encoded words, the split falls in the middle of a character
    assert mail.subject == "话费充值100元未到账，请帮忙查询"
    assert "我是张喆，话费充值100元一直没到账" in mail.text
    assert mail.defects == ()


def test_gb18030_four_byte_characters(eml: Load) -> None:
    mail = parse_email(eml("gb18030.eml"))
    assert mail.from_name == "陈䶮"
    assert mail.subject == "会员未生效"
    assert "「𠮷野家😊」" in mail.text
    assert "生僻字䶮" in mail.text


def test_qq_html_only(eml: Load) -> None:
    mail = parse_email(eml("qq_html_only.eml"))
    assert mail.from_name == "赵六"
    assert mail.subject == "回复：视频会员没开通"
    assert mail.html is not None and "<div>" in mail.html
    assert "alert" not in mail.text and "font-size" not in mail.text
    assert "客服您好， 视频会员买了没开通\n\n已经试过：\n- 重新登录\n- 清除缓存" in mail.text
    assert "订单号：20261122120000111\n谢谢！" in mail.text
    assert "原始邮件" in mail.text
    assert mail.new_text.endswith("谢谢！")
    assert "原始邮件" not in mail.new_text
    assert "请问有什么可以帮您" not in mail.new_text


def test_attachments_with_chinese_filenames(eml: Load) -> None:
    mail = parse_email(eml("attachments.eml"))
    assert mail.text == "附件是充值截图和订单凭证，工单号 KF-20261122-000007。"
    assert mail.html is not None
    assert mail.ticket_number == "KF-20261122-000007"
    png, pdf = mail.attachments
    assert png.filename == "截图.png"  # RFC 2231 with continuations
    assert png.content_type == "image/png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.size == len(png.data)
    assert pdf.filename == "订单凭证.pdf"  # RFC 2047 in a quoted parameter, GB2312
    assert pdf.content_type == "application/pdf"
    assert pdf.data.startswith(b"%PDF-1.") and pdf.data.rstrip().endswith(b"%%EOF")
    assert not png.inline and not pdf.inline


def test_reply_to_notification(eml: Load) -> None:
    mail = parse_email(eml("reply_to_notification.eml"))
    assert mail.subject == "回复：[KF-20261122-000123] 客服已回复：话费充值未到账"
    assert mail.ticket_number == "KF-20261122-000123"
    assert mail.in_reply_to == "<kefu.KF-20261122-000123.b1@kamen.example>"
    assert mail.references == (
        "<kefu.KF-20261122-000123.a0@kamen.example>",
        "<kefu.KF-20261122-000123.b1@kamen.example>",
    )
    assert "写道" in mail.text
    assert mail.new_text == "还是没到账，我又试了一次，截图在附件里。"
    assert not mail.is_automated


def test_auto_reply(eml: Load) -> None:
    mail = parse_email(eml("auto_reply.eml"))
    assert mail.auto_submitted
    assert mail.is_automated
    assert not mail.is_bounce and not mail.is_loop
    assert "auto-submitted:auto-replied" in mail.automation_reasons
    assert "subject" in mail.automation_reasons
    assert mail.ticket_number == "KF-20261122-000123"


def test_bounce_from_mailer_daemon(eml: Load) -> None:
    mail = parse_email(eml("bounce.eml"))
    assert mail.is_bounce and mail.is_automated
    assert mail.from_address == "mailer-daemon@mx.example.com"
    assert {"return-path:null", "from:mailer-daemon", "delivery-status-report"} <= set(
        mail.automation_reasons
    )
    # the returned original (with our loop header) is an attachment, not the body
    assert "550 5.1.1 User unknown" in mail.text
    assert "X-Kefu-Loop" not in mail.text
    assert not mail.is_loop
    assert [a.content_type for a in mail.attachments] == [
        "message/delivery-status",
        "message/rfc822",
    ]
    assert b"X-Kefu-Loop: kamen.example" in mail.attachments[1].data


def test_mailing_list(eml: Load) -> None:
    mail = parse_email(eml("mailing_list.eml"))
    assert mail.is_mailing_list and mail.is_automated
    assert not mail.auto_submitted
    assert mail.subject == "本周卡盟行情"
    assert mail.text == "本周行情：点卡价格平稳。"


def test_malformed_mime_returns_what_it_can(eml: Load) -> None:
    mail = parse_email(eml("malformed.eml"))
    assert mail.from_address == ""
    assert "from" in mail.defects and "date" in mail.defects
    assert "charset:x-no-such-charset" in mail.defects
    assert "CloseBoundaryNotFoundDefect" in mail.defects
    assert mail.subject == "乱码主题 KF-20261122-000999"  # raw 8-bit GBK header
    assert mail.ticket_number == "KF-20261122-000999"
    assert mail.message_id == "<no-angle-brackets@example.com>"
    assert mail.to == ("support@kamen.example",)
    assert mail.text.startswith("你好")
    assert mail.attachments[0].filename == "附件.bin"  # raw 8-bit GBK parameter
    assert mail.date is None


def test_malformed_headers(eml: Load) -> None:
    mail = parse_email(eml("malformed_headers.eml"))
    assert mail.subject == "张三"
    assert "MissingHeaderBodySeparatorDefect" in mail.defects
    assert "你好" in mail.text and "\ufffd" in mail.text


def test_loop_header_and_own_address() -> None:
    raw = (
        b"From: Kefu <KEFU@kamen.example>\r\nTo: a@example.com\r\nSubject: hi\r\n"
        b"X-Kefu-Loop: kamen.example\r\n\r\nbody\r\n"
    )
    mail = parse_email(raw, own_addresses=["kefu@kamen.example"])
    assert mail.is_loop and mail.is_automated
    assert mail.automation_reasons == ("x-kefu-loop", "from-own-address")
    assert not parse_email(raw.replace(b"X-Kefu-Loop", b"X-Other")).is_loop


def test_other_automation_headers() -> None:
    base = b"From: a@example.com\r\nSubject: hello\r\n"
    for header in (
        b"X-Autoreply: yes",
        b"X-Autorespond: yes",
        b"Precedence: bulk",
        b"Precedence: junk",
        b"Precedence: auto_reply",
    ):
        assert parse_email(base + header + b"\r\n\r\nx").auto_submitted, header
    assert not parse_email(base + b"Auto-Submitted: no\r\n\r\nx").is_automated
    for subject in ("Out of Office: trip", "Auto Reply: hi", "Automatic reply: hi"):
        raw = f"From: a@example.com\r\nSubject: {subject}\r\n\r\nx".encode()
        assert parse_email(raw).auto_submitted, subject


def test_english_reply_bottom_posting_keeps_answers() -> None:
    raw = (
        "From: a@example.com\r\nSubject: Re: [KF-20261122-000001] New reply\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "On Sun, Nov 22, 2026 at 10:30 AM Kefu <kefu@kamen.example>\r\n wrote:\r\n"
        "> Which order?\r\n"
        "Order 123\r\n"
        "> Which game?\r\n"
        "王者荣耀\r\n"
    ).encode()
    mail = parse_email(raw)
    assert mail.new_text == "Order 123\n王者荣耀"
    assert mail.ticket_number == "KF-20261122-000001"


def test_outlook_chinese_header_block_is_cut() -> None:
    raw = (
        "From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "好的，谢谢\r\n\r\n________________________________\r\n"
        "发件人: 客服 <kefu@kamen.example>\r\n发送时间: 2026年11月22日 10:30\r\n"
        "主题: [KF-20261122-000123] 已收到\r\n\r\n您好\r\n"
    ).encode()
    mail = parse_email(raw)
    assert mail.new_text == "好的，谢谢"
    assert mail.ticket_number == "KF-20261122-000123"  # found in the quoted history


def test_ticket_number_lowercase_and_fullwidth_dash_in_body() -> None:
    raw = "From: a@example.com\r\nSubject: 查询\r\n\r\n工单号 kf－20261122－000321 呢".encode()
    assert parse_email(raw).ticket_number == "KF-20261122-000321"
    raw = b"From: a@example.com\r\nSubject: XKF-20261122-0003210\r\n\r\n"
    assert parse_email(raw).ticket_number is None


def test_empty_and_garbage_input_do_not_raise() -> None:
    mail = parse_email(b"")
    assert mail.from_address == "" and mail.text == "" and "from" in mail.defects
    assert parse_email(b"\x00\xff" * 50).from_address == ""


@settings(deadline=None, max_examples=150, database=None)
@given(st.binary(max_size=2000))
def test_never_raises_on_random_bytes(raw: bytes) -> None:
    parse_email(raw)


@settings(deadline=None, max_examples=150, database=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"From: ",
                b"=?gbk?B?",
                b"?=",
                b"\r\n",
                b"Content-Type: multipart/mixed; boundary=b",
                b"--b",
                b"Content-Transfer-Encoding: base64",
                b"charset=",
                b"\xb8\xbd",
                b"filename*0*=",
                b"Subject: ",
                b"=?utf-8?Q?=E4=",
                b"<",
                b">",
                b"message/rfc822",
                b"text/html",
                b"<div>",
                b": ",
                b" ",
                b"\r\n\r\n",
                b"%",
                b"'",
            ]
        ),
        max_size=60,
    )
)
def test_never_raises_on_mail_shaped_noise(parts: list[bytes]) -> None:
    parse_email(b"".join(parts))
