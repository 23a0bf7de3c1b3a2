"""How sending went, in words staff understand: «Đã gửi», «Gửi lỗi: <why>», never the mail server's raw answer
(which stays in the outbox and the logs for whoever runs the system)."""

from __future__ import annotations

import re

# A reply code opens an answer or one of its parts ('<address>: <code> …', joined by '; '): the 587 of "port 587"
# in a connection error is none.
_CODE = re.compile(r"(?:^|;)\s*(?:(?P<address>[^\s:;]+@[^\s:;]+):\s*)?(?P<code>[245]\d\d)\b")
_REASONS = (
    ((550, 551, 553), "địa chỉ người nhận không tồn tại hoặc bị máy chủ thư từ chối"),
    ((552,), "hộp thư người nhận đã đầy hoặc thư quá lớn"),
    ((554, 541), "máy chủ thư của người nhận từ chối thư"),
    ((535, 530), "máy chủ thư không cho đăng nhập để gửi (kiểm tra cấu hình gửi thư)"),
)


def _reason(code: int) -> str:
    for codes, text in _REASONS:
        if code in codes:
            return text
    if 400 <= code < 500:
        return "máy chủ thư tạm thời không nhận thư"
    return "máy chủ thư không nhận thư"


def failure_text(answer: str | None) -> str:
    """Why a letter did not go, per recipient when the answer names them; a generic reason otherwise."""
    if not answer:
        return "không gửi được thư"
    parts = []
    for match in _CODE.finditer(answer):
        reason = _reason(int(match.group("code")))
        address = match.group("address")
        text = f"{address}: {reason}" if address else reason
        if text not in parts and not match.group("code").startswith("2"):
            parts.append(text)
    if parts:
        return "; ".join(parts)
    lowered = answer.lower()
    if any(word in lowered for word in ("connect", "timed out", "timeout", "refused", "unreachable")):
        return "không kết nối được máy chủ thư"
    return "không gửi được thư"


def sent_message(message: str) -> str:
    """A sent/failed letter's timeline message without the mail server's answer that ends it."""
    head, _, _ = message.partition(": ")
    return head


def refused_text(answer: str | None) -> str | None:
    """For a letter that went: the recipients the mail server refused, if the answer names any."""
    if not answer:
        return None
    parts = [
        f"{m.group('address')} ({_reason(int(m.group('code')))})"
        for m in _CODE.finditer(answer)
        if m.group("address") and not m.group("code").startswith("2")
    ]
    return f"không đến được {', '.join(parts)}" if parts else None
