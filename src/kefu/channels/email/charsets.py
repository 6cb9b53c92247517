"""Charsets and header text as Chinese mail clients really send them.

Foxmail, QQ Mail and Outlook (zh-CN) declare ``gb2312`` but use GBK characters,
put RFC 2047 words inside quoted strings, split multi-byte characters across
encoded words, and sometimes send raw 8-bit GBK in headers. Everything here
decodes leniently and never raises.
"""

from __future__ import annotations

import codecs
import re
from email.header import Header, decode_header

# Declared charsets that are really GB18030 (a superset of GB2312 and GBK).
_GB_FAMILY = frozenset(
    {
        "gb2312",
        "gb_2312",
        "gb_2312-80",
        "gbk",
        "x-gbk",
        "cp936",
        "ms936",
        "euc-cn",
        "euccn",
        "csgb2312",
        "x-euc-cn",
        "gb18030",
        "chinese",
        "936",
        "windows-936",
    }
)
_ALIASES = {
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}
_UNFOLD_RE = re.compile(r"\r?\n(?=[ \t])")


def codec_for(charset: str | None) -> str | None:
    """The Python codec to use for a declared MIME charset, or None if unusable."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    if name in _GB_FAMILY:
        return "gb18030"
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def guess_decode(data: bytes) -> str:
    """Decode bytes of unknown charset: UTF-8, then GB18030, then best effort."""
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, bool]:
    """Decode with the declared charset, leniently.

    Returns (text, clean): clean is False when the declared charset was unusable or
    wrong, or when bytes had to be replaced.
    """
    codec = codec_for(charset)
    if codec is not None:
        try:
            return data.decode(codec), True
        except UnicodeDecodeError:
            pass
    # Unknown or wrong declaration (e.g. "utf-8" that is really GBK): guess.
    guessed = guess_decode(data)
    clean = charset is None and "\ufffd" not in guessed
    if "\ufffd" in guessed and codec is not None:
        return data.decode(codec, errors="replace"), False
    return guessed, clean


def _undo_surrogates(value: str) -> str:
    """Raw 8-bit header bytes come back from the parser as surrogate escapes."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return guess_decode(value.encode("utf-8", errors="surrogateescape"))


def header_text(value: str | Header | None) -> str:
    """Decode one header value (RFC 2047, any charset, raw 8-bit) to text."""
    if value is None:
        return ""
    if isinstance(value, Header):
        value = str(value)
    text = _UNFOLD_RE.sub("", _undo_surrogates(value))
    if "=?" not in text:
        return text.strip()
    try:
        parts = decode_header(text)
    except Exception:  # malformed encoded words: keep the raw text
        return text.strip()
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
        elif charset is None:
            out.append(chunk.decode("raw-unicode-escape", errors="replace"))
        else:
            out.append(decode_bytes(chunk, charset)[0])
    return "".join(out).strip()
