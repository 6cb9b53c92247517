"""Chinese word segmentation with jieba and the marketplace's domain dictionary.

jieba is loaded lazily, once per process, behind a lock. Its dictionary cache is kept
under ``$KEFU_NLU_CACHE_DIR`` (default ``$KEFU_DATA_DIR/nlu`` or ``./var/nlu``) instead of
the system temp dir; if that directory cannot be created we fall back to the temp dir.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

# Domain words jieba would otherwise cut (转/人工, 没到/账, 跑/路 ...). Frequency is high
# enough that the word wins over the split.
DOMAIN_WORDS: tuple[str, ...] = (
    "卡盟",
    "卡密",
    "点卡",
    "到账",
    "没到账",
    "未到账",
    "不到账",
    "卡单",
    "黑单",
    "掉单",
    "转人工",
    "人工客服",
    "跑路",
    "话费",
    "直充",
    "代充",
    "工号",
    "专属客服",
    "充值",
    "退款",
    "提现",
    "冻结",
    "解冻",
    "被盗",
    "盗号",
    "改绑",
    "换绑",
    "验证码",
    "会员",
    "秒到",
    "慢充",
    "快充",
    "q币",
    "王者荣耀",
    "和平精英",
    "原神",
    "腾讯视频",
    "爱奇艺",
    "优酷",
    "芒果tv",
    "网易",
    "steam",
    "点券",
    "钻石",
    "月卡",
    "上游",
    "渠道",
    "订单号",
    "单号",
    "商户",
    "入驻",
    "保证金",
    "结算",
    "官方",
    "客服",
    "假客服",
    "骗子",
    "垃圾平台",
    "报警",
    "曝光",
    "退钱",
    "扣款",
    "扣费",
    "重复扣款",
    "支付失败",
    "付款",
    "已付款",
    "未发货",
    "发货",
    "卡号",
    "卡密错误",
    "已使用",
    "被使用",
    "无效",
    "过期",
    "充错",
    "异地登录",
    "实名",
    "实名认证",
    "人脸",
    "登录不了",
    "登不上",
    "找回密码",
    "提现失败",
    "手续费",
    "分销",
    "进货",
    "货源",
    "对接",
    "api",
    "接口",
    "加盟",
    "代理",
    "工单",
    "投诉",
    "差评",
    "12315",
    "消协",
    "黑猫投诉",
    "在吗",
    "你好",
    "谢谢",
)

_LOCK = threading.Lock()
_TOKENIZER: Any = None
_EXTRA_WORDS: set[str] = set()


def cache_dir() -> Path:
    """Directory for NLU caches (jieba dictionary cache, trained models)."""
    explicit = os.environ.get("KEFU_NLU_CACHE_DIR")
    default = Path(os.environ.get("KEFU_DATA_DIR", "./var")) / "nlu"
    base = Path(explicit) if explicit else default
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        base = Path(tempfile.gettempdir()) / "kefu-nlu"
        base.mkdir(parents=True, exist_ok=True)
    return base


def _tokenizer() -> Any:
    global _TOKENIZER
    if _TOKENIZER is None:
        with _LOCK:
            if _TOKENIZER is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                directory = cache_dir().resolve()
                tok.tmp_dir = str(directory)
                tok.cache_file = "jieba.cache"
                tok.initialize()
                for word in (*DOMAIN_WORDS, *_EXTRA_WORDS):
                    tok.add_word(word, freq=200000)
                _TOKENIZER = tok
    return _TOKENIZER


def add_words(words: list[str] | tuple[str, ...]) -> None:
    """Add tenant words (product names, brand names) to the dictionary."""
    with _LOCK:
        _EXTRA_WORDS.update(w for w in words if w)
        tok = _TOKENIZER
    if tok is not None:
        with _LOCK:
            for word in words:
                if word:
                    tok.add_word(word, freq=200000)


_WORD_RE = re.compile(r"[\w\u4e00-\u9fff]")


def segment(text: str) -> list[str]:
    """Cut normalised text into words, dropping whitespace and punctuation tokens."""
    if not text:
        return []
    # jieba's Tokenizer.cut is safe to call from several threads once initialised.
    return [t for t in _tokenizer().lcut(text, HMM=True) if _WORD_RE.search(t)]


def segment_for_search(text: str) -> list[str]:
    """Cut for indexing: words plus their shorter parts (搜索引擎模式)."""
    if not text:
        return []
    return [t for t in _tokenizer().lcut_for_search(text, HMM=True) if _WORD_RE.search(t)]
