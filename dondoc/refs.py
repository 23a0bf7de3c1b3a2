"""Item numbers as conclusions write them ("II.2.1.a", "3.b-1"), in reading order."""

from __future__ import annotations

import re

__all__ = ["ref_order"]

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def _part(token: str) -> tuple[int, int, str]:
    """One part of an item number: a number, a Roman numeral (a section) or letters, in reading order."""
    if token.isdigit():
        return (0, int(token), "")
    if token and all(ch in _ROMAN for ch in token.upper()) and token.isupper():
        values = [_ROMAN[ch] for ch in token]
        total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
        return (0, total, "")
    return (1, 0, token)


def ref_order(ref: str | None) -> tuple[bool, list[tuple[int, int, str]]]:
    """Sorts items as the conclusion numbers them ("II.2.1.a" before "II.2.2", "IX" after "V"); unnumbered last."""
    if not ref:
        return (True, [])
    return (False, [_part(t) for t in re.split(r"[.\-\s)]+", ref) if t])
