"""Chinese names with jieba (the only module that imports it).

The catalog's cue patterns find names next to words such as 收货人 or 先生 without any
segmentation. For text declared Chinese (``language="zh"``) this module adds names that have
no cue: jieba's part-of-speech tagger marks person names ``nr``; we keep those that start
with a known surname, have a plausible length and are not common words that jieba
mis-tags (银行卡, 高明 …). jieba loads its dictionary on first use (about 1 s; cached in
jieba's temp file afterwards) and tags about 50,000 characters a second, which is why this
pass is opt-in.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import cache
from typing import Any

from guardrail.detect.catalog import load_catalog

__all__ = ["JIEBA_SCORE", "jieba_person_spans", "surname_regex"]

#: Score of a jieba-tagged name without a cue word (a cue-word match scores 0.85).
JIEBA_SCORE = 0.6

_LOCK = threading.Lock()
# Words jieba tags as names that are not names in shop text.
_NOT_NAMES = frozenset(
    "银行卡 银行 高明 白云 金平 宁德 通辽 花溪 萧山 怀柔 东丽 梁平 山亭 嘉禾 张家港 "
    "黄金 江山 高山 明天 方便 向前 安全 文明 和平 平安 常州 温州 林芝".split()
)
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?\n]?")


@cache
def surname_regex() -> re.Pattern[str]:
    """A regex matching a Chinese surname at the start of a string (from the catalog)."""
    spec = load_catalog().entity("PERSON")
    cell = next(c for c in spec.cells if c.name == "cn_name_cell")
    # The cell rule is "{SURNAME}[CJK]{1,2}|...": its first alternative's surname part.
    surname = cell.regex.split("[一-鿿]{1,2}")[0]
    return re.compile(surname)


@cache
def _tagger() -> Any:
    with _LOCK:
        import jieba
        import jieba.posseg

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        return jieba.posseg.POSTokenizer(jieba.dt)


def jieba_person_spans(text: str) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of person names jieba tags in ``text``."""
    tagger = _tagger()
    surname = surname_regex()
    out: list[tuple[int, int, float]] = []
    for sent in _SENTENCE.finditer(text):
        pos = sent.start()
        for pair in tagger.cut(sent.group()):
            word, flag = pair.word, pair.flag
            start = pos
            pos += len(word)
            if flag != "nr" or not 2 <= len(word) <= 4 or word in _NOT_NAMES:
                continue
            if len(set(word)) == 1 or (word[1] == word[-1] == word[-2] and len(word) > 2):
                continue  # reduplicated words (谢谢, 哈哈) are not names
            m = surname.match(word)
            if m is None or m.end() >= len(word):
                continue
            out.append((start, pos, JIEBA_SCORE))
    return out
