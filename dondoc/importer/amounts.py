"""Amounts of money as documents write them: the figure ("12.345.000 đồng") and the words in brackets ("Bằng chữ:
Mười hai triệu ba trăm bốn mươi lăm nghìn đồng"), so a figure that disagrees with its words can be flagged."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dondoc.importer.text import clean

_DIGITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "nhăm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
_SCALES = {"nghìn": 10**3, "ngàn": 10**3, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9}
_SKIP = {"linh", "lẻ", "và", "chẵn", "đồng", "bằng", "chữ", "việt", "nam", "vnđ", "vnd"}

FIGURE = re.compile(r"(?<![\d.,])(\d{1,3}(?:[.,]\d{3})+|\d{4,})(?:,\d+)?\s*(?:đồng|đ\b|VNĐ|VND)", re.IGNORECASE)
WORDS = re.compile(r"\(\s*(?:bằng chữ|viết bằng chữ)\s*:?\s*([^)]*)\)", re.IGNORECASE)


@dataclass(frozen=True)
class Amount:
    figure: int
    written: str  # the figure as in the document
    words: str | None = None
    words_value: int | None = None

    @property
    def disagrees(self) -> bool:
        return self.words_value is not None and self.words_value != self.figure


def words_value(words: str) -> int | None:
    """'Mười hai triệu ba trăm bốn mươi lăm nghìn đồng' -> 12345000; None when the words are not a number."""
    tokens = [t for t in re.split(r"[\s,.;/()-]+", clean(words).lower()) if t]
    total, section, last, top_scale, seen = 0, 0, 0, 0, False
    for token in tokens:
        if token in _SKIP:
            continue
        seen = True
        if token in _DIGITS:
            last = _DIGITS[token]
            section += last
        elif token == "mười":
            last = 0
            section += 10
        elif token in ("mươi", "trăm"):
            factor = 10 if token == "mươi" else 100
            section += (last or 1) * factor - last
            last = 0
        elif token in _SCALES:
            scale = _SCALES[token]
            if scale > top_scale:
                total = (total + section or 1) * scale
                top_scale = scale
            else:
                total += (section or 1) * scale
            section, last = 0, 0
        else:
            return None
    return total + section if seen else None


def amounts_in(text: str) -> list[Amount]:
    """Each figure in đồng, with the words that follow it in brackets when there are."""
    found = []
    for match in FIGURE.finditer(text):
        written = match.group(1)
        figure = int(re.sub(r"\D", "", written))
        after = text[match.end() : match.end() + 400]
        words_match = WORDS.match(after.lstrip(" ,;")) or (WORDS.search(after[:6]) if "(" in after[:6] else None)
        words = words_match.group(1).strip() if words_match else None
        found.append(Amount(figure, written, words, words_value(words) if words else None))
    return found
