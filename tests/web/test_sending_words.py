"""How sending went, in words staff understand, whatever the mail server answered."""

from __future__ import annotations

import pytest

from dondoc.web.letters import CopyView, LetterView, status_text


@pytest.mark.parametrize(
    ("status", "answer", "shown"),
    [
        ("sent", "2.0.0 Ok: queued as 4F2A", "Đã gửi"),
        (
            "sent",
            "2.0.0 Ok; chutich@lyson.example.vn: 550 5.1.1 User unknown",
            "Đã gửi; không đến được chutich@lyson.example.vn "
            "(địa chỉ người nhận không tồn tại hoặc bị máy chủ thư từ chối)",
        ),
        (
            "failed",
            "chutich@lyson.example.vn: 552 5.2.2 Mailbox full",
            "Gửi lỗi: chutich@lyson.example.vn: hộp thư người nhận đã đầy hoặc thư quá lớn",
        ),
        ("pending", None, "Đang gửi"),
        ("pending", "450 4.7.1 Greylisted, try again later", "Đang gửi lại: máy chủ thư tạm thời không nhận thư"),
        (
            "pending",
            "SMTPConnectError: Error connecting to 127.0.0.1 on port 2525: Connection refused",
            "Đang gửi lại: không kết nối được máy chủ thư",
        ),
    ],
)
def test_a_copy_s_status_reads_in_vietnamese_without_the_raw_answer(
    status: str, answer: str | None, shown: str
) -> None:
    assert status_text(status, answer) == shown


def test_a_letter_on_its_way_again_says_why_its_last_attempt_was_refused() -> None:
    def copy(audience: str, status: str, answer: str | None) -> CopyView:
        return CopyView(f"kl/ly-son/urging/1/{audience}", audience, ["a@lyson.example.vn"], [], status, answer, 2)

    retried = copy("unit", "pending", "a@lyson.example.vn: 452 4.2.2 Mailbox full, try later")
    letter = LetterView("kl/ly-son/urging/1", "ly-son", "urging", None, status="pending")
    letter.copies = [retried, copy("oversight", "sent", "2.0.0 Ok: queued as 7B1")]
    assert letter.status_text == "Đang gửi lại: a@lyson.example.vn: máy chủ thư tạm thời không nhận thư"

    letter.copies = [copy("unit", "pending", None)]
    assert letter.status_text == "Đang gửi"
