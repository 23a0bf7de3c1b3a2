"""Units as documents name them: "Phòng Thông tin, Báo chí và Xuất bản (TT,BC&XB)" and later "phòng TT,BC&XB";
lists such as "A và B thuộc C"; a head's title in front ("Chủ tịch UBND huyện Lý Sơn"). Matching is exact on a
normalized name or a defined short name, never fuzzy: a near miss is what staff must be warned about."""

from __future__ import annotations

import re

from models.spec import ascii_slug

UNIT_WORDS = (
    "phòng",
    "trung tâm",
    "sở",
    "ubnd",
    "ủy ban nhân dân",
    "uỷ ban nhân dân",
    "văn phòng",
    "ban",
    "chi cục",
    "cục",
    "vụ",
    "công ty",
    "tổng công ty",
    "trường",
    "bệnh viện",
    "đài",
    "báo",
    "thanh tra",
    "hội đồng",
    "kho bạc",
    "chi nhánh",
    "viện",
    "bộ",
    "tập đoàn",
    "hội",
    "liên đoàn",
    "quỹ",
    "đơn vị",
    "các phòng",
    "các sở",
    "các đơn vị",
)
# "phòng, chống tham nhũng", "ban hành", "báo cáo" start with a unit word but are not units
_NOT_UNITS = r"(?!\s*,?\s*(?:chống|ngừa|hành|cáo|chí|hữu|thọ|nghị|thảo|trừ|tránh|bị|cập)\b)"
_UNIT_START = "(?:" + "|".join(re.escape(w) for w in sorted(UNIT_WORDS, key=len, reverse=True)) + r")\b" + _NOT_UNITS
_HEAD_TITLES = re.compile(
    r"^(?:(?:ông|bà)\s+)?(?:thủ trưởng|chủ tịch|phó chủ tịch|giám đốc|phó giám đốc|trưởng phòng|trưởng ban|"
    r"chánh văn phòng|chánh thanh tra|hiệu trưởng|cục trưởng|vụ trưởng|tổng giám đốc|lãnh đạo)\s+",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:,|;|\bvà\b|\bcùng\b)\s*(?=" + _UNIT_START + ")", re.IGNORECASE)
_PARENT = re.compile(r"\s+(?:thuộc|trực thuộc)\s+(.+)$", re.IGNORECASE)
_ALIAS = re.compile(r"\(([^()]{2,40})\)")
_ABBREVIATIONS = {"ubnd": "ủy ban nhân dân", "uỷ ban": "ủy ban", "hđnd": "hội đồng nhân dân"}


def starts_with_unit(text: str) -> bool:
    return re.match(_UNIT_START, text, re.IGNORECASE) is not None


def normalize(name: str) -> str:
    """Case, spacing, 'UBND' and a head's title do not matter; accents do (Lý Sơn is not Lý Sởn)."""
    text = _HEAD_TITLES.sub("", name.strip()).lower()
    text = re.sub(r"\s+", " ", text).strip(" .,;:")
    for short, full in _ABBREVIATIONS.items():
        text = re.sub(rf"\b{re.escape(short)}\b", full, text)
    return text


def unit_type(name: str) -> str | None:
    match = re.match(_UNIT_START, name.strip(), re.IGNORECASE)
    return match.group(0) if match else None


def split_names(text: str) -> list[str]:
    """'Phòng A, Báo chí và Xuất bản và Trung tâm B thuộc Sở C' -> ['Phòng A, Báo chí và Xuất bản', 'Trung tâm B']:
    a list breaks only where the next part starts with a kind of unit; 'thuộc …' names the parent, not a unit."""
    text = text.strip().rstrip(".;:")
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    names = []
    for part in parts:
        part = _PARENT.sub("", part).strip(" ,;.")
        if part:
            names.append(part)
    return names


def without_alias(name: str) -> tuple[str, list[str]]:
    """'Phòng Thông tin, Báo chí và Xuất bản (TT,BC&XB)' -> the name and its short forms ['TT,BC&XB',
    'Phòng TT,BC&XB']."""
    aliases: list[str] = []
    for match in _ALIAS.finditer(name):
        short = match.group(1).strip()
        if short and not short.lower().startswith(("sau đây", "gọi tắt")):
            aliases.append(short)
        elif "gọi tắt là" in short.lower():
            aliases.append(short.split("là", 1)[1].strip())
    bare = _ALIAS.sub("", name).strip()
    kind = unit_type(bare)
    if kind:
        aliases += [f"{kind[0].upper()}{kind[1:]} {a}" for a in list(aliases) if not starts_with_unit(a)]
    return re.sub(r"\s+", " ", bare), aliases


def slug(text: str, limit: int = 48) -> str:
    """A unit code from its name: 'Phòng TT,BC&XB' -> 'phong-tt-bc-xb'."""
    return ascii_slug(text, limit)


def unique(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3` … the first not in `taken` (which it joins)."""
    code, n = base, 2
    while code in taken:
        code = f"{base}-{n}"
        n += 1
    taken.add(code)
    return code
