"""How sending went, in words staff understand, whatever the mail server answered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dondoc.web.letters import CopyView, LetterView, letters, status_text
from models.tables import AuditEventRow
from tests.activities.states import outbox_copy


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
        (  # a port is no reply code
            "pending",
            "SMTPConnectTimeoutError: Timed out connecting to smtp.quangngai.gov.vn on port 587",
            "Đang gửi lại: không kết nối được máy chủ thư",
        ),
        ("pending", "database: OperationalError", "Đang gửi lại: không gửi được thư"),
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


def test_a_letter_the_workflow_recorded_failed_reads_failed_whatever_copy_is_still_pending() -> None:
    key = "kl/ly-son/urging/1"
    at = datetime(2026, 12, 2, 3, tzinfo=UTC)
    failed = AuditEventRow(
        workflow_id="kl",
        seq=7,
        at=at,
        actor="hệ thống",
        kind="notification_failed",
        target="report.ly-son",
        message="Gửi thất bại văn bản «Đôn đốc» tới a@lyson.example.vn: 452 4.2.2 Mailbox full",
        data={"key": key, "items": ["ly-son-eoffice"]},
    )
    stale = outbox_copy(key, "unit", "pending", "a@lyson.example.vn: 452 4.2.2 Mailbox full", attempts=40)

    (letter,) = letters([failed], [stale])

    assert letter.status == "failed", "staff see it failed and can send it again"
    assert letter.status_text == "Gửi lỗi: máy chủ thư tạm thời không nhận thư"
