"""Writes the .eml fixtures byte by byte, the way real clients send them.

Run `python tests/channels/email/make_email_fixtures.py` to regenerate. Kept by hand on
purpose (not built with the stdlib email package) so the bytes are what Foxmail, QQ Mail,
Gmail and MTAs actually produce, including their mistakes.
"""

from __future__ import annotations

import base64
import quopri
import struct
import zlib
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
CRLF = "\r\n"


def b64_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def b64_lines(data: bytes) -> str:
    encoded = base64.b64encode(data).decode()
    return CRLF.join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def tiny_pdf() -> bytes:
    """A real one-page PDF (kefu parses PDFs; a bare header is refused)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def write(name: str, text: str | bytes) -> None:
    data = text if isinstance(text, bytes) else text.replace("\n", CRLF).encode("ascii")
    (FIXTURES / name).write_bytes(data)


def plain_utf8() -> None:
    head = f"""From: {b64_word("李明", "UTF-8")} <liming@example.com>
To: support@kamen.example
Subject: {b64_word("点卡充值失败，工单 KF-20261121-000045 还没人处理", "UTF-8")}
Date: Sun, 22 Nov 2026 09:15:00 +0800
Message-ID: <plain-utf8-1@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

"""
    body = (
        "客服你好：\n我昨天买的点卡充值失败，提示「卡密已使用」。\n"
        "订单号：20261121093015123\n\n李明\n"
    )
    write_bytes = head.replace("\n", CRLF).encode("ascii") + body.replace("\n", CRLF).encode()
    write("plain_utf8.eml", write_bytes)


def qp_utf8() -> None:
    body = (
        "您好，我的游戏账号充值了648元但是钻石一直没到账，已经等了两个小时了，"
        "请尽快帮我处理一下，谢谢！\n错误提示：订单处理中\n"
    )
    qp = quopri.encodestring(body.encode("utf-8")).decode("ascii")
    head = """From: "Wang Fang" <wangfang@example.net>
To: =?UTF-8?Q?=E5=AE=A2=E6=9C=8D?= <support@kamen.example>
Subject: =?UTF-8?Q?=E6=B8=B8=E6=88=8F=E5=85=85=E5=80=BC=E6=9C=AA=E5=88=B0=E8=B4=A6?=
Date: Sun, 22 Nov 2026 01:20:00 +0000
Message-ID: <qp-utf8-1@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

"""
    write("qp_utf8.eml", head + qp.replace("\r\n", "\n"))


def foxmail_gbk() -> None:
    subject = "话费充值100元未到账，请帮忙查询"
    raw = subject.encode("gbk")
    # Foxmail splits long subjects into several encoded words, sometimes mid-character.
    first, second = raw[:13], raw[13:]
    subject_words = (
        f"=?GBK?B?{base64.b64encode(first).decode()}?=\n"
        f" =?GBK?B?{base64.b64encode(second).decode()}?="
    )
    body = (
        "客服你好，我是张喆，话费充值100元一直没到账，"
        "订单号 20261122093015123，请帮忙查一下。\n\n张喆\n"
    )
    head = f"""Return-Path: <zhangzhe@qq.com>
From: "{b64_word("张喆", "gbk").replace("gbk", "gb2312")}" <zhangzhe@qq.com>
To: "support" <support@kamen.example>
Subject: {subject_words}
Date: Sun, 22 Nov 2026 10:02:11 +0800
Message-ID: <202611221002112345678@qq.com>
X-Mailer: Foxmail 7.2.25.228[cn]
Mime-Version: 1.0
Content-Type: text/plain;
\tcharset="gb2312"
Content-Transfer-Encoding: base64

"""
    write("foxmail_gbk.eml", head + b64_lines(body.encode("gbk")) + "\n")


def gb18030() -> None:
    body = "你好，我的账号昵称是「𠮷野家😊」，生僻字䶮，充值的会员没有生效。\n"
    subject = "=?GB18030?Q?" + "".join(f"={b:02X}" for b in "会员未生效".encode("gb18030")) + "?="
    name = base64.b64encode("陈䶮".encode("gb18030")).decode()
    head = f"""From: =?GB18030?B?{name}?= <chenyan@example.cn>
To: support@kamen.example
Subject: {subject}
Date: Sun, 22 Nov 2026 11:00:00 +0800
Message-ID: <gb18030-1@example.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset=GB18030
Content-Transfer-Encoding: 8bit

"""
    write("gb18030.eml", head.replace("\n", CRLF).encode("ascii") + body.encode("gb18030"))


def qq_html_only() -> None:
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
        "<style>body{font-size:14px}</style><script>alert('x')</script>"
        "<div>客服您好，&nbsp;视频会员买了没开通</div><div><br></div>"
        "<div>已经试过：</div><ul><li>重新登录</li><li>清除缓存</li></ul>"
        "<div>订单号：<b>20261122120000111</b><br>谢谢！</div>"
        "<div><br></div>"
        '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
        "------------------&nbsp;原始邮件&nbsp;------------------</div>"
        '<div style="font-size: 12px;background:#efefef;padding:8px;">'
        '<div><b>发件人:</b>&nbsp;"客服"&lt;support@kamen.example&gt;;</div>'
        "<div><b>发送时间:</b>&nbsp;2026年11月22日(星期天) 中午11:30</div>"
        "<div>您好，请问有什么可以帮您？</div></div>"
    )
    head = f"""From: "{b64_word("赵六", "gb18030")}"<zhaoliu@qq.com>
To: "support"<support@kamen.example>
Subject: {b64_word("回复：视频会员没开通", "gb18030")}
Mime-Version: 1.0
Content-Type: text/html;
\tcharset="gb18030"
Content-Transfer-Encoding: base64
Date: Sun, 22 Nov 2026 12:01:02 +0800
X-Priority: 3
Message-ID: <tencent_ABCDEF0123456789@qq.com>
X-QQ-MIME: TCMime 1.0 by Tencent
X-Mailer: QQMail 2.x

"""
    write("qq_html_only.eml", head + b64_lines(html.encode("gb18030")) + "\n")


def attachments() -> None:
    png_name = "截图.png".encode()
    pct = "".join(f"%{b:02X}" for b in png_name)
    text = "附件是充值截图和订单凭证，工单号 KF-20261122-000007。\n"
    html = "<div>附件是充值截图和订单凭证，工单号 KF-20261122-000007。</div>"
    head = f"""From: Sun Qi <sunqi@example.com>
To: support@kamen.example
Subject: {b64_word("充值截图", "UTF-8")}
Date: Sun, 22 Nov 2026 13:00:00 +0800
Message-ID: <attach-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==mixed=="

This is a multi-part message in MIME format.

--==mixed==
Content-Type: multipart/alternative; boundary="==alt=="

--==alt==
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

{b64_lines(text.encode())}
--==alt==
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

{b64_lines(html.encode())}
--==alt==--

--==mixed==
Content-Type: image/png
Content-Disposition: attachment;
 filename*0*=UTF-8''{pct[:18]};
 filename*1*={pct[18:]}
Content-Transfer-Encoding: base64

{b64_lines(tiny_png())}
--==mixed==
Content-Type: application/pdf;
\tname="{b64_word("订单凭证.pdf", "GB2312")}"
Content-Disposition: attachment;
\tfilename="{b64_word("订单凭证.pdf", "GB2312")}"
Content-Transfer-Encoding: base64

{b64_lines(tiny_pdf())}
--==mixed==--
"""
    write("attachments.eml", head)


def reply_to_notification() -> None:
    body = (
        "还是没到账，我又试了一次，截图在附件里。\n"
        "\n"
        "在 2026年11月22日 10:30，某卡盟客服 <kefu@kamen.example> 写道：\n"
        "> 您好，\n"
        "> 客服已回复您的工单 KF-20261122-000123：\n"
        "> 请提供充值截图。\n"
    )
    qp = quopri.encodestring(body.encode("utf-8")).decode("ascii")
    head = f"""From: {b64_word("李明", "UTF-8")} <liming@example.com>
To: kefu@kamen.example
Subject: {b64_word("回复：[KF-20261122-000123] 客服已回复：话费充值未到账", "UTF-8")}
Date: Sun, 22 Nov 2026 11:05:00 +0800
Message-ID: <reply-1@example.com>
In-Reply-To: <kefu.KF-20261122-000123.b1@kamen.example>
References: <kefu.KF-20261122-000123.a0@kamen.example>
 <kefu.KF-20261122-000123.b1@kamen.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

"""
    write("reply_to_notification.eml", head + qp)


def auto_reply() -> None:
    head = f"""From: {b64_word("李明", "UTF-8")} <liming@example.com>
To: kefu@kamen.example
Subject: {b64_word("自动回复: [KF-20261122-000123] 已收到：话费充值未到账", "UTF-8")}
Date: Sun, 22 Nov 2026 11:06:00 +0800
Message-ID: <auto-1@example.com>
Auto-Submitted: auto-replied
In-Reply-To: <kefu.KF-20261122-000123.b1@kamen.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

{b64_lines("您好，我正在休假，11月30日回来后回复您。".encode())}
"""
    write("auto_reply.eml", head)


def bounce() -> None:
    head = """Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: kefu@kamen.example
Subject: Undelivered Mail Returned to Sender
Date: Sun, 22 Nov 2026 03:10:00 +0000
Message-ID: <bounce-1@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="BOUNDARY"

--BOUNDARY
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nobody@example.com>: host mx.example.com said: 550 5.1.1 User unknown

--BOUNDARY
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Arrival-Date: Sun, 22 Nov 2026 03:09:59 +0000

Final-Recipient: rfc822; nobody@example.com
Action: failed
Status: 5.1.1

--BOUNDARY
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: kefu@kamen.example
To: nobody@example.com
Subject: [KF-20261122-000123] Received
Message-ID: <kefu.KF-20261122-000123.c2@kamen.example>
X-Kefu-Loop: kamen.example

Hello

--BOUNDARY--
"""
    write("bounce.eml", head)


def mailing_list() -> None:
    head = """From: Card Market Weekly <news@lists.example.org>
To: kefu-list@lists.example.org
Subject: =?UTF-8?B?5pys5ZGo5Y2h55uf6KGM5oOF?=
Date: Sun, 22 Nov 2026 08:00:00 +0000
Message-ID: <list-1@lists.example.org>
List-Id: Card Market Weekly <weekly.lists.example.org>
List-Unsubscribe: <mailto:unsubscribe@lists.example.org>
Precedence: list
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

5pys5ZGo6KGM5oOF77ya54K55Y2h5Lu35qC85bmz56iz44CC
"""
    write("mailing_list.eml", head)


def malformed() -> None:
    """Broken MIME: bad encoded word, raw GBK subject, unknown charset, bad base64,
    a boundary that is never closed, a raw 8-bit GBK attachment name."""
    gbk_subject = "乱码主题 KF-20261122-000999".encode("gbk")
    head = (
        b"From: =?utf-8?B?broken base64?= <not an address\r\n"
        b"To: support@kamen.example, , <>\r\n"
        b"Subject: " + gbk_subject + b"\r\n"
        b"Date: yesterday at noon\r\n"
        b"Message-ID: no-angle-brackets@example.com\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n'
        b"\r\n"
        b"--never-closed\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n"
        b"5L2g5aW977yM5oiR*&^%$\r\n"
        b"--never-closed\r\n"
        b'Content-Type: application/octet-stream; name="\xb8\xbd\xbc\xfe.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n"
        b"AAEC=====\r\n"
    )
    write("malformed.eml", head)


def malformed_headers() -> None:
    """A header line without a colon ends the header block early (the rest is body)."""
    write(
        "malformed_headers.eml",
        (
            b"From: someone@example.com\r\n"
            b"Subject: =?gb2312?B?1cXI/Q?=\r\n"
            b"This header line has no colon\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"\r\n"
            b"\xe4\xbd\xa0\xe5\xa5\xbd \xff\xfe broken utf-8\r\n"
        ),
    )


def main() -> None:
    FIXTURES.mkdir(exist_ok=True)
    for make in (
        plain_utf8,
        qp_utf8,
        foxmail_gbk,
        gb18030,
        qq_html_only,
        attachments,
        reply_to_notification,
        auto_reply,
        bounce,
        mailing_list,
        malformed,
        malformed_headers,
    ):
        make()


if __name__ == "__main__":
    main()
