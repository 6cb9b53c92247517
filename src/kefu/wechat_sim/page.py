"""The page a newcomer uses to play a WeChat user (``kefu wechat-sim``, /sim): pick the
微信客服 account or the 公众号, write, see what kefu sent back. Plain HTML forms."""

from __future__ import annotations

from html import escape

from kefu.wechat_sim.world import FakeWeChat


def _bubble(text: str, mine: bool) -> str:
    side = "me" if mine else "them"
    return f'<div class="{side}">{escape(text)}</div>'


def message_text(message: dict[str, object]) -> str:
    kind = str(message.get("msgtype", ""))
    part = message.get(kind)
    if not isinstance(part, dict):
        return kind
    if kind == "text":
        return str(part.get("content", ""))
    if kind == "msgmenu":
        items = part.get("list", [])
        labels = []
        for item in items if isinstance(items, list) else []:
            click = item.get("click", {}) if isinstance(item, dict) else {}
            labels.append(f"[{click.get('content', '')}]")
        head = str(part.get("head_content", ""))
        return " ".join([head, *labels, str(part.get("tail_content", ""))]).strip()
    return f"[{kind}]"


def sim_page(fake: FakeWeChat, user: str) -> str:
    sections = []
    for corp in fake.corps.values():
        for open_kfid, name in corp.kf_accounts.items():
            sent = [_bubble(message_text(d.message), False) for d in fake.inbox(open_kfid, user)]
            sections.append(
                f"<section><h2>微信客服 · {escape(name)}</h2>{''.join(sent)}"
                f'<form method="post" action="/sim/form/wecom/{escape(corp.corpid)}/'
                f'{escape(open_kfid)}"><input type="hidden" name="user" value="{escape(user)}">'
                '<input name="text" required placeholder="输入消息 / type a message">'
                "<button>发送 Send</button></form></section>"
            )
    for app in fake.oa_apps.values():
        sent = [_bubble(message_text(d.message), False) for d in fake.inbox(app.appid, user)]
        sections.append(
            f"<section><h2>公众号 · {escape(app.original_id)}</h2>{''.join(sent)}"
            f'<form method="post" action="/sim/form/oa/{escape(app.appid)}">'
            f'<input type="hidden" name="user" value="{escape(user)}">'
            '<input name="text" placeholder="输入消息 / type a message">'
            '<button>发送 Send</button> <button name="click" value="kefu">菜单：在线客服</button>'
            "</form></section>"
        )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>模拟微信 fake WeChat</title>"
        "<style>body{font-family:sans-serif;max-width:40em;margin:auto}"
        ".them{background:#eee;margin:.3em 0;padding:.4em}"
        "section{border:1px solid #ccc;margin:1em 0;padding:.5em}</style></head>"
        f"<body><h1>模拟微信用户 {escape(user)}</h1>"
        "<p>WeChat user simulator: what you write reaches kefu as WeChat's signed, encrypted "
        "callbacks. Reload to see the answers.</p>" + "".join(sections) + "</body></html>"
    )
