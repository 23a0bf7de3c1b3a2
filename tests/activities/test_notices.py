"""The notice activity against a real SMTP conversation: a unit is told what was decided (with the link that acts for
it), officers who opted in are told what arrived; each notice goes exactly once, through the same outbox as letters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.message import EmailMessage

from sqlalchemy.engine import Engine
from sqlmodel import Session

from activities.notices import send
from dondoc import preferences, users
from dondoc.settings import Settings
from models.mail import MailStatus, NoticeItem, NoticeRequest
from models.state import NoticeAudience, NoticeKind
from models.tables import ConclusionRow, NotificationRow
from tests.activities.smtp_server import SmtpServer

WID = "kl-312-kl-ttra"
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
UNIT = ["vanthu@lyson.example.vn"]
OFFICER = "canbo@thanhtra.example.vn"
OTHER_OFFICER = "canbo2@thanhtra.example.vn"


def request(audience: NoticeAudience, *items: NoticeItem, key: str = f"{WID}/ly-son/notice-unit/1") -> NoticeRequest:
    return NoticeRequest(
        key=key,
        workflow_id=WID,
        audience=audience,
        to=UNIT if audience == NoticeAudience.unit else [],
        number="312/KL-Ttra",
        issued_on=date(2018, 5, 31),
        issuer="Thanh tra tỉnh Quảng Ngãi",
        title="Thanh tra việc ứng dụng công nghệ thông tin",
        unit_code="ly-son",
        unit_name="UBND huyện Lý Sơn",
        items=list(items),
        now=NOW,
    )


RETURNED = NoticeItem(
    kind=NoticeKind.evidence_returned,
    target="ly-son-eoffice",
    ref="II.2.1.c",
    text="Vận hành phần mềm eOffice",
    subject="ev-3",
    files=["bien-ban.pdf"],
    reason="Thiếu biên bản nghiệm thu",
    due=datetime(2019, 3, 31, 16, 59, tzinfo=UTC),
    by="canbo@thanhtra.example.vn",
    at=NOW,
)
ACCEPTED = NoticeItem(
    kind=NoticeKind.evidence_accepted,
    target="ly-son-website",
    ref="II.2.1.d",
    text="Nâng cấp cổng thông tin điện tử",
    by="canbo@thanhtra.example.vn",
    at=NOW,
)


def plain(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def outbox_row(engine: Engine, key: str) -> NotificationRow | None:
    with Session(engine) as session:
        return session.get(NotificationRow, key)


async def test_don_vi_nhan_mot_thu_neu_tung_quyet_dinh_va_duong_dan_gui_lai(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    notice = request(NoticeAudience.unit, RETURNED, ACCEPTED)
    outcome = await send(engine, mail_settings, notice)
    assert outcome.status == MailStatus.sent
    [accepted] = relay.handler.accepted
    message = accepted.message
    assert accepted.rcpt_tos == UNIT
    text = plain(message)
    assert message["Subject"] == "[Thông báo] KL 312/KL-Ttra – UBND huyện Lý Sơn – 2 nội dung đã được xem xét"
    assert "Minh chứng được trả lại để bổ sung: II.2.1.c. Vận hành phần mềm eOffice" in text
    assert "Lý do: Thiếu biên bản nghiệm thu" in text
    assert "Tệp: bien-ban.pdf" in text
    assert "hạn vẫn là ngày 31/03/2019" in text
    assert "Minh chứng được chấp nhận: II.2.1.d. Nâng cấp cổng thông tin điện tử" in text
    assert "https://dondoc.example.vn/portal/" in text
    assert "Bạn nhận thư này vì là đầu mối của UBND huyện Lý Sơn" in text
    row = outbox_row(engine, notice.key)
    assert row is not None and row.status == "sent" and row.step == "decision"
    assert row.items == ["ly-son-eoffice", "ly-son-website"]


async def test_mot_thong_bao_chi_gui_mot_lan(engine: Engine, mail_settings: Settings, relay: SmtpServer) -> None:
    notice = request(NoticeAudience.unit, ACCEPTED)
    await send(engine, mail_settings, notice)
    again = await send(engine, mail_settings, notice)  # a retry after the first went
    assert again.status == MailStatus.sent
    assert len(relay.handler.accepted) == 1


async def test_thong_bao_rut_ket_luan_khong_kem_duong_dan(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    withdrawn = NoticeItem(kind=NoticeKind.withdrawn, reason="Kết luận bị hủy", by="lanhdao", at=NOW)
    await send(engine, mail_settings, request(NoticeAudience.unit, withdrawn))
    [accepted] = relay.handler.accepted
    message = accepted.message
    assert "Kết luận được rút khỏi theo dõi" in plain(message) and "Lý do: Kết luận bị hủy" in plain(message)
    assert "/portal/" not in plain(message)


def officers_follow(engine: Engine, *officers: str) -> None:
    with Session(engine) as session:
        session.add(
            ConclusionRow(
                workflow_id=WID,
                number="312/KL-Ttra",
                issued_on=date(2018, 5, 31),
                received_on=date(2018, 6, 1),
                issuer="Thanh tra tỉnh Quảng Ngãi",
                title="Thanh tra",
                tracking_body="Thanh tra tỉnh Quảng Ngãi",
                inspectorate_head="chanh@thanhtra.example.vn",
                agency_head="chutich@quangngai.example.vn",
                officers=list(officers),
                status="active",
            )
        )
        session.commit()
    for officer in officers:
        users.add_user(engine, officer, "staff", "mat-khau-du-dai-123")


ARRIVED = NoticeItem(
    kind=NoticeKind.arrived, target="ly-son-eoffice", subject="ev-4", files=["bien-ban.pdf"], by="link", at=NOW
)


async def test_can_bo_chon_nhan_ngay_duoc_bao_ho_so_moi(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    officers_follow(engine, OFFICER, OTHER_OFFICER)
    preferences.save(engine, OFFICER, {preferences.Kind.immediate_review: True})
    notice = request(NoticeAudience.officers, ARRIVED, key=f"{WID}/conclusion/notice-officers/1")
    await send(engine, mail_settings, notice)
    [accepted] = relay.handler.accepted
    message = accepted.message
    assert accepted.rcpt_tos == [OFFICER]  # the other officer did not ask to be told at once
    assert message["Subject"] == "[Chờ xem xét] KL 312/KL-Ttra – Minh chứng mới"
    assert "https://dondoc.example.vn/review" in plain(message)
    assert "đã chọn được báo ngay" in plain(message)
    row = outbox_row(engine, notice.key)
    assert row is not None and row.step == "arrival" and row.recipients == [OFFICER]


async def test_khong_ai_chon_nhan_ngay_thi_khong_gui(
    engine: Engine, mail_settings: Settings, relay: SmtpServer
) -> None:
    officers_follow(engine, OFFICER)
    notice = request(NoticeAudience.officers, ARRIVED, key=f"{WID}/conclusion/notice-officers/2")
    outcome = await send(engine, mail_settings, notice)
    assert outcome.status == MailStatus.sent and "Không có người nhận" in outcome.detail
    assert relay.handler.accepted == []
    assert outbox_row(engine, notice.key) is None
