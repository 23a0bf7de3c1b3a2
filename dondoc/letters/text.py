"""A letter laid out as an official document (Nghị định 30/2020/NĐ-CP): the parts every rendering shares.

The email bodies and the DOCX attachment are both drawn from one `LetterText`, so they never say different things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class LetterText:
    issuing_parent: str | None  # the body above the issuer in the header, e.g. "UBND TỈNH QUẢNG NGÃI" (may be None)
    issuing_body: str  # "THANH TRA TỈNH QUẢNG NGÃI" (upper case, bold in the header)
    number_line: str  # "Số:        /TTr-NV" — left blank for the office to number
    place_date: str  # "Quảng Ngãi, ngày 01 tháng 12 năm 2026"
    subject: str  # the V/v line without "V/v ", e.g. "đôn đốc thực hiện Kết luận thanh tra số 312/KL-Ttra"
    addressees: list[str]  # each "Kính gửi" line, e.g. ["Chủ tịch UBND huyện Lý Sơn"]
    paragraphs_before: list[str]  # body before the table of items
    table_header: list[str]
    table_rows: list[list[str]]  # one row per item, same length as the header
    paragraphs_after: list[str]  # body after the table
    recipients: list[str]  # "Nơi nhận" lines, e.g. ["Như trên;", "Chánh Thanh tra (để b/c);", "Lưu: VT."]
    signer_title: str  # "CHÁNH THANH TRA" (upper case)
    signer_name: str  # may be empty: the office signs by hand
    signer_prefix: str | None = None  # e.g. "KT. CHÁNH THANH TRA" line above the title, when a deputy signs
    notes: list[str] = field(default_factory=list)  # small print under the table (e.g. what "hạn giả định" means)
    dated: datetime | None = None  # when it was drawn up: the document's created and modified dates
    author: str = ""  # the issuing body's whole name ("Thanh tra tỉnh Quảng Ngãi"), the document's author
