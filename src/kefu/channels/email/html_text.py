"""HTML-only mail (QQ Mail, Outlook) to readable plain text, with the stdlib parser."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_DROP = frozenset({"script", "style", "head", "title", "noscript", "template", "xml"})
_BLOCK = frozenset(
    {
        "p",
        "div",
        "tr",
        "table",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "center",
        "dl",
        "dt",
        "dd",
        "form",
        "fieldset",
        "hr",
        "body",
        "html",
    }
)
_SPACES_RE = re.compile(r"[ \t\r\n\f\v]+")
_MANY_BLANK_LINES_RE = re.compile(r"\n{3,}")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._drop_depth = 0
        self._pre_depth = 0

    def _at_line_start(self) -> bool:
        for chunk in reversed(self.chunks):
            if chunk:
                return chunk.endswith("\n")
        return True

    def _newline(self) -> None:
        if not self._at_line_start():
            self.chunks.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            self._drop_depth += 1
        elif tag == "br":
            self.chunks.append("\n")
        elif tag == "li":
            self._newline()
            self.chunks.append("- ")
        elif tag in ("td", "th"):
            if not self._at_line_start():
                self.chunks.append("\t")
        elif tag in _BLOCK:
            if tag == "pre":
                self._pre_depth += 1
            self._newline()
        if tag == "img":
            alt = dict(attrs).get("alt")
            if alt and not self._drop_depth:
                self.chunks.append(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            return  # <script/> opens nothing
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP:
            self._drop_depth = max(0, self._drop_depth - 1)
        elif tag in _BLOCK or tag == "li":
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._drop_depth:
            return
        if self._pre_depth:
            self.chunks.append(data)
            return
        collapsed = _SPACES_RE.sub(" ", data)
        if self._at_line_start():
            collapsed = collapsed.lstrip(" ")
        if collapsed:
            self.chunks.append(collapsed)


def html_to_text(html: str) -> str:
    """Readable text: scripts and styles dropped, line breaks kept for br/p/div/li."""
    parser = _TextCollector()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this is a last line of defence
        pass
    text = "".join(parser.chunks).replace("\xa0", " ").replace("\u200b", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return _MANY_BLANK_LINES_RE.sub("\n\n", "\n".join(lines)).strip("\n")
