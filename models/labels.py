"""Vietnamese labels for statuses, kinds and steps, shared by emails, CLI and pages."""

from __future__ import annotations

from models.policy import Step
from models.spec import ActionKind
from models.state import ActionStatus, ConclusionStatus, ExtensionStatus, ReportStatus, ReviewStatus
from models.vn import VN

__all__ = [
    "ACTION_STATUS",
    "CONCLUSION_STATUS",
    "EXTENSION_STATUS",
    "KIND",
    "REPORT_STATUS",
    "REVIEW_STATUS",
    "STEP",
    "VN",
    "item_name",
]

STEP = {
    Step.reminder: "Nhắc nhở",
    Step.overdue: "Quá hạn",
    Step.urging: "Đôn đốc",
    Step.second_urging: "Đôn đốc lần 2",
    Step.proposal: "Đề nghị kiểm tra, xử lý trách nhiệm",
    Step.closing: "Kết thúc theo dõi",
}

KIND = {
    ActionKind.remedy: "Khắc phục tồn tại, hạn chế",
    ActionKind.recover: "Thu hồi tiền, tài sản",
    ActionKind.discipline: "Xử lý trách nhiệm",
    ActionKind.sanction: "Xử phạt vi phạm hành chính",
    ActionKind.policy: "Hoàn thiện cơ chế, chính sách",
    ActionKind.transfer: "Chuyển cơ quan điều tra",
}

ACTION_STATUS = {
    ActionStatus.open: "Đang thực hiện",
    ActionStatus.evidence_submitted: "Đã nộp minh chứng, chờ xem xét",
    ActionStatus.done: "Hoàn thành",
    ActionStatus.waived: "Miễn thực hiện",
    ActionStatus.transferred: "Đã chuyển cơ quan điều tra",
}

CONCLUSION_STATUS = {
    ConclusionStatus.active: "Đang theo dõi",
    ConclusionStatus.closed: "Đã kết thúc theo dõi",
    ConclusionStatus.withdrawn: "Đã rút",
}

REPORT_STATUS = {
    ReportStatus.awaited: "Chưa nộp báo cáo",
    ReportStatus.submitted: "Đã nộp báo cáo, chờ xem xét",
    ReportStatus.accepted: "Báo cáo đã được chấp nhận",
    ReportStatus.returned: "Báo cáo bị trả lại",
}

REVIEW_STATUS = {
    ReviewStatus.submitted: "Chờ xem xét",
    ReviewStatus.accepted: "Đã chấp nhận",
    ReviewStatus.rejected: "Đã yêu cầu bổ sung",
}

EXTENSION_STATUS = {
    ExtensionStatus.requested: "Chờ quyết định",
    ExtensionStatus.approved: "Đã gia hạn",
    ExtensionStatus.denied: "Không chấp thuận",
}

NOTICE_STEP = {
    "decision": "Thông báo kết quả xem xét",
    "arrival": "Báo hồ sơ chờ xem xét",
}
"""The outbox's `step` of notices (besides the ladder's steps), as staff read it."""


def grouped(number: int) -> str:
    """Thousands grouped the Vietnamese way: 2.528, 125.000.000."""
    return f"{number:,}".replace(",", ".")


def item_name(ref: str | None, text: str) -> str:
    """How a message names an item to people (a unit's staff among them): by its number in the conclusion, else by
    the start of its text; never by the key the spec gave it."""
    if ref:
        return f"mục {ref}"
    words = text.split()
    return "«" + " ".join(words[:12]) + ("…»" if len(words) > 12 else "»")
