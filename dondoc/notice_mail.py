"""Rendering a notice of decisions (to a unit) or of arrivals (to officers) into a Vietnamese email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dondoc.mail_render import RenderedMail, environment
from models.labels import VN
from models.mail import NoticeItem, NoticeRequest
from models.state import NoticeAudience, NoticeKind

HEADLINE = {
    NoticeKind.evidence_accepted: "Minh chứng được chấp nhận",
    NoticeKind.evidence_returned: "Minh chứng được trả lại để bổ sung",
    NoticeKind.extension_approved: "Đề nghị gia hạn được chấp thuận",
    NoticeKind.extension_denied: "Đề nghị gia hạn không được chấp thuận",
    NoticeKind.report_accepted: "Báo cáo được chấp nhận",
    NoticeKind.report_returned: "Báo cáo được trả lại để hoàn thiện",
    NoticeKind.action_waived: "Được miễn thực hiện",
    NoticeKind.action_transferred: "Chuyển cơ quan điều tra xử lý",
    NoticeKind.withdrawn: "Kết luận được rút khỏi theo dõi",
    NoticeKind.arrived: "Hồ sơ mới chờ xem xét",
}
ARRIVED = {"ev": "Minh chứng mới", "rp": "Báo cáo mới", "ext": "Đề nghị gia hạn mới"}


def _day(moment: datetime) -> str:
    return f"{moment.astimezone(VN):%d/%m/%Y}"


@dataclass(frozen=True)
class NoticeEntry:
    """One decision as the email shows it."""

    headline: str
    item: str  # "2.1.a. Thu hồi …" or the report; empty for the whole conclusion
    details: list[str]


def headline(item: NoticeItem) -> str:
    if item.kind == NoticeKind.arrived:
        prefix = (item.subject or "").split("-", 1)[0]
        return ARRIVED.get(prefix, HEADLINE[item.kind])
    return HEADLINE[item.kind]


def _due(item: NoticeItem, due: datetime) -> str:
    """A deadline as a notice states it: an assumed one is said to be the follow-up's, not the conclusion's."""
    if item.due_assumed:
        return f"ngày {_day(due)} (hạn giả định để theo dõi, kết luận không nêu thời hạn)"
    return f"ngày {_day(due)}"


def _details(item: NoticeItem) -> list[str]:
    out: list[str] = []
    if item.files:
        out.append("Tệp: " + ", ".join(item.files))
    if item.reason:
        out.append(item.reason if item.kind == NoticeKind.arrived else f"Lý do: {item.reason}")
    if item.kind == NoticeKind.evidence_accepted:
        out.append("Nội dung này được ghi nhận là đã thực hiện xong.")
    elif item.kind in (NoticeKind.evidence_returned, NoticeKind.report_returned):
        what = "minh chứng" if item.kind == NoticeKind.evidence_returned else "báo cáo"
        if item.new_due is not None:
            out.append(f"Đề nghị đơn vị bổ sung, gửi lại {what} trước ngày {_day(item.new_due)} (hạn mới).")
        elif item.due is not None:
            out.append(f"Đề nghị đơn vị bổ sung, gửi lại {what} sớm; hạn vẫn là {_due(item, item.due)}.")
    elif item.kind == NoticeKind.extension_approved and item.new_due is not None:
        out.append(f"Hạn mới: ngày {_day(item.new_due)}.")
    elif item.kind == NoticeKind.extension_denied and item.due is not None:
        out.append(f"Hạn thực hiện vẫn là {_due(item, item.due)}.")
    elif item.kind == NoticeKind.withdrawn:
        out.append("Đơn vị không cần gửi thêm minh chứng, báo cáo về kết luận này qua hệ thống.")
    return out


def entries(request: NoticeRequest) -> list[NoticeEntry]:
    out = []
    for item in request.items:
        label = f"{item.ref}. {item.text}" if item.ref else item.text
        out.append(NoticeEntry(headline=headline(item), item=label, details=_details(item)))
    return out


def subject(request: NoticeRequest) -> str:
    if request.audience == NoticeAudience.officers:
        count = len(request.items)
        return (
            f"[Chờ xem xét] KL {request.number} – {count} hồ sơ mới"
            if count > 1
            else (f"[Chờ xem xét] KL {request.number} – {headline(request.items[0])}")
        )
    what = headline(request.items[0]) if len(request.items) == 1 else f"{len(request.items)} nội dung đã được xem xét"
    return f"[Thông báo] KL {request.number} – {request.unit_name} – {what}"


def _why(request: NoticeRequest) -> str:
    if request.audience == NoticeAudience.officers:
        return (
            f"Bạn nhận thư này vì là cán bộ theo dõi Kết luận {request.number} và đã chọn được báo ngay khi có hồ sơ "
            "chờ xem xét (có thể tắt ở trang «Tài khoản»)."
        )
    return f"Bạn nhận thư này vì là đầu mối của {request.unit_name} trong việc thực hiện Kết luận {request.number}."


def intro(request: NoticeRequest) -> str:
    conclusion = f"Kết luận thanh tra số {request.number} ngày {request.issued_on:%d/%m/%Y} của {request.issuer}"
    if request.audience == NoticeAudience.officers:
        return f"Có hồ sơ mới chờ xem xét trong việc theo dõi {conclusion}:"
    return f"{request.tracking_body or request.issuer} thông báo kết quả xem xét trong việc thực hiện {conclusion} ({request.title}):"


def action_text(request: NoticeRequest) -> str:
    if request.audience == NoticeAudience.officers:
        return "Mở danh sách chờ xem xét"
    return "Xem và gửi minh chứng, báo cáo của đơn vị"


def render(request: NoticeRequest, link: str | None) -> RenderedMail:
    """`link` opens the unit's portal (the unit's notice) or the review queue (officers); None: no link."""
    env = environment()
    context: dict[str, object] = {
        "subject": subject(request),
        "addressee": request.unit_name if request.audience == NoticeAudience.unit else "Cán bộ theo dõi",
        "intro": intro(request),
        "entries": entries(request),
        "link": link,
        "action_text": action_text(request),
        "why": _why(request),
    }
    return RenderedMail(
        subject=subject(request),
        text=env.get_template("notice.txt").render(context),
        html=env.get_template("notice.html").render(context),
    )
