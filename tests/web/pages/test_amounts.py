"""Amounts of money typed in the forms (recovered, to recover): whole đồng, thousands grouped by dots, commas or
spaces, the currency after it optional. Anything that could be read two ways is refused, never guessed."""

from __future__ import annotations

import pytest

from dondoc.web.pages.common import amount_hint, parse_amount
from models.spec import MAX_AMOUNT_VND

WHOLE = "Số tiền đã thu hồi phải là số nguyên đồng, ví dụ 15.000.000"


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("15000000", 15_000_000),
        ("15.000.000", 15_000_000),
        ("15,000,000", 15_000_000),
        ("15 000 000", 15_000_000),
        ("15\u00a0000\u00a0000", 15_000_000),  # no-break spaces, as a word processor writes them
        ("  1.500  ", 1_500),
        ("1,500", 1_500),
        ("0", 0),
        ("15.000.000 đồng", 15_000_000),
        ("15.000.000đ", 15_000_000),
        ("15.000.000 Đ", 15_000_000),
        ("15.000.000 VNĐ", 15_000_000),
        ("15.000.000 vnd", 15_000_000),
        ("15.000.000 ĐỒNG", 15_000_000),
        ("1.000.000.000.000.000", MAX_AMOUNT_VND),
    ],
)
def test_whole_dong_are_read_with_or_without_separators_and_currency(typed: str, amount: int) -> None:
    assert parse_amount(typed) == amount


@pytest.mark.parametrize(
    "typed",
    [
        "1,5",  # one and a half đồng, or 15 with a stray comma: never guessed
        "1.5",
        "15.000.000,50",
        "15,000,000.50",
        "1.234.567,89",
        "15.000.000,00",
        "1.23.4",  # groups of three digits only
        "1234.567",
        "1.000,000",  # one kind of separator
        "0.500",
        "15.000.000 d",
        "-5",
        "mười lăm triệu",
        "đồng",
        "",
        "²",
    ],
)
def test_fractions_and_malformed_groups_are_refused_saying_why(typed: str) -> None:
    assert parse_amount(typed) is None
    assert amount_hint(typed, "Số tiền đã thu hồi").startswith(WHOLE)


@pytest.mark.parametrize("typed", ["1.000.000.000.000.001", "9" * 40])
def test_an_amount_past_the_bound_is_refused_as_too_large(typed: str) -> None:
    assert parse_amount(typed) is None
    assert amount_hint(typed, "Số tiền") == "Số tiền quá lớn: tối đa 1.000.000.000.000.000 đồng."
