"""A constructed read model with known answers for the first quarter of 2026 (see tests/reports/test_statistics.py).

Conclusion A (Thanh tra tỉnh, received 1/12/2025, active), units Lý Sơn and Sở Xây dựng:
  a1  done: evidence sent 20/1, accepted 5/2, due 31/1                         → done on time
  a2  due 15/1 extended on 10/1 (before it passed) to 28/2; done, sent 20/2    → done on time
  a3  due 15/1 extended on 20/1 (after it passed) to 28/2; done, sent 20/2     → done late
  a4  recover 100,000,000 đ, due 15/2, open                                    → overdue
  a5  recover 50,000,000 đ, due 31/3; sent 1/3 with 50,000,000 đ, accepted 5/3 → done on time, recovered
  a6  waived on 1/2                                                            → waived
  a7  transferred on 10/3                                                      → transferred
  a8  due 30/6, open                                                           → in progress
  a9  done on 15/12/2025 (before the quarter)                                  → not counted
  a10 due 20/3 extended on 15/3 to 30/4, open                                  → in progress
  a11 due 25/3, sent 2/4, accepted 5/4 (after the quarter)                     → overdue at its end
Conclusion B (UBND tỉnh, received 10/2/2026): b1 Lý Sơn due 10/3 open → overdue; b2 Trà Bồng due 1/5 → in progress.
Conclusion C closed on 20/12/2025 and D received 10/4/2026: outside the quarter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.tables import (
    ActionRow,
    ConclusionRow,
    EvidenceRow,
    ExtensionRequestRow,
    NotificationRow,
    UnitRow,
)
from models.vn import VN

TTR = "Thanh tra tỉnh Quảng Ngãi"
UBND = "UBND tỉnh Quảng Ngãi"
LY_SON = "UBND huyện Lý Sơn"
SO_XD = "Sở Xây dựng"
TRA_BONG = "UBND huyện Trà Bồng"


def due(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), VN)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), VN)


def d(text: str) -> date:
    return date.fromisoformat(text)


def _conclusion(wid: str, number: str, issuer: str, received: str, **extra: object) -> ConclusionRow:
    return ConclusionRow(
        workflow_id=wid,
        number=number,
        issued_on=d(received),
        received_on=d(received),
        issuer=issuer,
        title=f"Kết luận thanh tra {number}",
        tracking_body="Thanh tra tỉnh",
        inspectorate_head="chanh@thanhtra.example.vn",
        agency_head="chutich@ubnd.example.vn",
        status=str(extra.pop("status", "active")),
        projected_at=datetime.now(UTC),
        **extra,
    )


def _unit(wid: str, code: str, name: str) -> UnitRow:
    return UnitRow(
        workflow_id=wid,
        code=code,
        name=name,
        contacts=[f"{code}@example.vn"],
        report_status="awaited",
        report_due=due(d("2026-06-30")),
    )


def _action(wid: str, aid: str, unit: str, ref: str, due_on: str, status: str = "open", **extra: object) -> ActionRow:
    return ActionRow(
        workflow_id=wid,
        action_id=aid,
        unit=unit,
        ref=ref,
        kind=str(extra.pop("kind", "remedy")),
        text=f"Nội dung kiến nghị {ref}",
        status=status,
        due=due(d(str(extra.pop("current_due", due_on)))),
        original_due=due(d(due_on)),
        **extra,
    )


def _evidence(
    wid: str, eid: str, aid: str, sent: str, reviewed: str | None, status: str, **extra: object
) -> EvidenceRow:
    return EvidenceRow(
        workflow_id=wid,
        evidence_id=eid,
        action_id=aid,
        files=[{"name": f"{eid}.pdf", "sha256": "0" * 64, "size": 1000}],
        status=status,
        submitted_by="vanthu@example.vn",
        submitted_at=at(d(sent)),
        reviewed_by="canbo@thanhtra.example.vn" if reviewed else None,
        reviewed_at=at(d(reviewed), 15) if reviewed else None,
        **extra,
    )


def _extension(wid: str, rid: str, aid: str, decided: str, granted: str) -> ExtensionRequestRow:
    return ExtensionRequestRow(
        workflow_id=wid,
        request_id=rid,
        action_id=aid,
        requested_due=granted,
        reason="Cần thêm thời gian",
        status="approved",
        requested_by="vanthu@example.vn",
        requested_at=at(d(decided), 8),
        decided_by="canbo@thanhtra.example.vn",
        decided_at=at(d(decided)),
        granted_due=due(d(granted)),
    )


def _letter(wid: str, key: str, unit: str, step: str, sent: str, items: list[str]) -> NotificationRow:
    return NotificationRow(
        key=f"{key}/unit",
        message_id=f"<{key}@dondoc>",
        letter_key=key,
        audience="unit",
        workflow_id=wid,
        target="conclusion",
        items=items,
        unit=unit,
        step=step,
        recipients=[f"{unit}@example.vn"],
        subject="Đôn đốc",
        status="sent",
        attempts=1,
        smtp_answer="250 OK: stored",
        created_at=at(d(sent), 8),
        sent_at=at(d(sent), 8),
    )


def build(engine: Engine) -> None:
    a, b, c, dd = "kl-a", "kl-b", "kl-c", "kl-d"
    rows: list[object] = [
        _conclusion(a, "10/KL-TTr", TTR, "2025-12-01"),
        _conclusion(b, "05/KL-UBND", UBND, "2026-02-10"),
        _conclusion(c, "99/KL-TTr", TTR, "2025-06-01", status="closed", closed_at=at(d("2025-12-20"))),
        _conclusion(dd, "20/KL-TTr", TTR, "2026-04-10"),
        _unit(a, "ly-son", LY_SON),
        _unit(a, "so-xd", SO_XD),
        _unit(b, "ly-son", LY_SON),
        _unit(b, "tra-bong", TRA_BONG),
        _unit(c, "ly-son", LY_SON),
        _unit(dd, "so-xd", SO_XD),
        _action(a, "a1", "ly-son", "1.a", "2026-01-31", "done", resolved_at=at(d("2026-02-05"), 15)),
        _action(
            a,
            "a2",
            "ly-son",
            "1.b",
            "2026-01-15",
            "done",
            current_due="2026-02-28",
            due_version=2,
            resolved_at=at(d("2026-02-25"), 15),
        ),
        _action(
            a,
            "a3",
            "ly-son",
            "1.c",
            "2026-01-15",
            "done",
            current_due="2026-02-28",
            due_version=2,
            resolved_at=at(d("2026-02-22"), 15),
        ),
        _action(a, "a4", "ly-son", "2.a", "2026-02-15", kind="recover", amount_vnd=100_000_000, overdue=True),
        _action(
            a,
            "a5",
            "ly-son",
            "2.b",
            "2026-03-31",
            "done",
            kind="recover",
            amount_vnd=50_000_000,
            recovered_vnd=50_000_000,
            resolved_at=at(d("2026-03-05"), 15),
        ),
        _action(
            a,
            "a6",
            "so-xd",
            "3.a",
            "2026-03-31",
            "waived",
            status_reason="Không còn đối tượng",
            resolved_at=at(d("2026-02-01")),
        ),
        _action(
            a,
            "a7",
            "so-xd",
            "3.b",
            "2026-03-31",
            "transferred",
            status_reason="Chuyển Công an tỉnh",
            resolved_at=at(d("2026-03-10")),
        ),
        _action(a, "a8", "so-xd", "3.c", "2026-06-30"),
        _action(a, "a9", "so-xd", "3.d", "2025-12-31", "done", resolved_at=at(d("2025-12-15"), 15)),
        _action(a, "a10", "so-xd", "3.e", "2026-03-20", current_due="2026-04-30", due_version=2),
        _action(a, "a11", "ly-son", "1.d", "2026-03-25", "done", resolved_at=at(d("2026-04-05"), 15)),
        _action(b, "b1", "ly-son", "1", "2026-03-10", overdue=True),
        _action(b, "b2", "tra-bong", "2", "2026-05-01"),
        _action(c, "c1", "ly-son", "1", "2025-10-01", "done", resolved_at=at(d("2025-11-01"))),
        _action(dd, "d1", "so-xd", "1", "2026-06-01"),
        _evidence(a, "ev-1", "a1", "2026-01-20", "2026-02-05", "accepted"),
        _evidence(a, "ev-2", "a2", "2026-02-20", "2026-02-25", "accepted"),
        _evidence(a, "ev-3", "a3", "2026-02-20", "2026-02-22", "accepted"),
        _evidence(a, "ev-4", "a5", "2026-02-20", "2026-02-21", "rejected", reason="Thiếu chứng từ"),
        _evidence(a, "ev-5", "a5", "2026-03-01", "2026-03-05", "accepted", recovered_vnd=50_000_000),
        _evidence(a, "ev-6", "a9", "2025-12-10", "2025-12-15", "accepted"),
        _evidence(a, "ev-7", "a11", "2026-04-02", "2026-04-05", "accepted"),
        _evidence(c, "ev-1", "c1", "2025-10-20", "2025-11-01", "accepted"),
        _extension(a, "ext-1", "a2", "2026-01-10", "2026-02-28"),
        _extension(a, "ext-2", "a3", "2026-01-20", "2026-02-28"),
        _extension(a, "ext-3", "a10", "2026-03-15", "2026-04-30"),
        _letter(a, "kl-a/ly-son/overdue/1", "ly-son", "overdue", "2026-02-17", ["a4"]),
        _letter(a, "kl-a/ly-son/urging/2", "ly-son", "urging", "2026-02-24", ["a4", "report.ly-son"]),
    ]
    with Session(engine) as session:
        session.add_all(rows)
        session.commit()
