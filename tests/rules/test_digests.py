"""What the daily emails list, built from read-model rows (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dondoc.digest_mail import overdue_mail, review_mail
from dondoc.digests import digest_recipients, officers_of, overdue_digest, review_queue
from tests.support.read_model import (
    AGENCY_HEAD,
    INSPECTORATE_HEAD,
    action,
    conclusion,
    evidence,
    extension,
    letter,
    report,
    unit,
)

NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 07:30 on Tuesday 1/12/2026 in Vietnam
DAY = timedelta(days=1)
END_OF_NOV_27 = datetime(2026, 11, 27, 16, 59, 59, tzinfo=UTC)  # 23:59:59 on 27/11 in Vietnam
SUPERVISOR = "so-tai-chinh@quangngai.example.vn"
LY_SON_HEAD = "chutich@lyson.example.vn"
OFFICER = "canbo@thanhtra.example.vn"

KL312 = conclusion("kl-312", "312/KL-Ttra", officers=[OFFICER])
KL90 = conclusion("kl-90", "90/KL-TTr", inspectorate_head="other@thanhtra.example.vn", agency_head="x@example.vn")
CLOSED = conclusion("kl-1", "1/KL-TTr", status="closed")
UNITS = [
    unit("kl-312", "ly-son", "UBND huyện Lý Sơn", NOW + 30 * DAY, head=LY_SON_HEAD, supervisor=SUPERVISOR),
    unit("kl-312", "so-xd", "Sở Xây dựng", END_OF_NOV_27 - 10 * DAY, report_status="returned"),
    unit("kl-90", "ly-son", "UBND huyện Lý Sơn", NOW + 30 * DAY, supervisor=SUPERVISOR),
    unit("kl-1", "ly-son", "UBND huyện Lý Sơn", NOW - 90 * DAY, supervisor=SUPERVISOR),
]
ACTIONS = [
    action("kl-312", "a1", "ly-son", "Thu hồi tiền sai phạm", END_OF_NOV_27, ref="2.1", last_step="urging"),
    action("kl-312", "a2", "ly-son", "Kiểm điểm trách nhiệm", END_OF_NOV_27 - 3 * DAY, ref="2.2"),
    action("kl-312", "a3", "ly-son", "Đã xong", END_OF_NOV_27, status="done"),
    action("kl-312", "a4", "ly-son", "Còn hạn", NOW + DAY),
    action("kl-312", "a5", "so-xd", "Hoàn thiện quy chế", END_OF_NOV_27, status="evidence_submitted"),
    action("kl-90", "b1", "ly-son", "Chưa đến hạn", NOW + 5 * DAY),
    action("kl-1", "c1", "ly-son", "Kết luận đã đóng", NOW - 90 * DAY),
]
OUTBOX = [
    letter("kl-312", "ly-son", "overdue", END_OF_NOV_27 + DAY),
    letter("kl-312", "ly-son", "overdue", END_OF_NOV_27 + DAY, audience="oversight"),  # a copy of the same letter
    letter("kl-312", "ly-son", "reminder", END_OF_NOV_27 - 7 * DAY),
    letter("kl-312", "so-xd", "urging", END_OF_NOV_27),
]
CONCLUSIONS = [KL312, KL90, CLOSED]


def digest_of(email: str):  # type: ignore[no-untyped-def]
    return overdue_digest(email, CONCLUSIONS, UNITS, ACTIONS, OUTBOX, NOW)


def test_the_inspectorate_head_sees_every_overdue_item_of_the_conclusion_grouped_by_unit() -> None:
    digest = digest_of(INSPECTORATE_HEAD)
    assert [c.number for c in digest.conclusions] == ["312/KL-Ttra"]
    (section,) = digest.conclusions
    assert [(u.name, [(i.target, i.days_overdue) for i in u.items]) for u in section.units] == [
        ("Sở Xây dựng", [("report.so-xd", 14), ("a5", 4)]),
        ("UBND huyện Lý Sơn", [("a2", 7), ("a1", 4)]),
    ]
    assert digest.item_count == 4
    assert "Chánh Thanh tra theo dõi kết luận 312/KL-Ttra" in digest.reasons


def test_each_unit_lists_the_ladder_letters_sent_so_far_once_each_oldest_first() -> None:
    (section,) = digest_of(INSPECTORATE_HEAD).conclusions
    letters = {u.code: [letter.step for letter in u.letters] for u in section.units}
    assert letters == {"ly-son": ["reminder", "overdue"], "so-xd": ["urging"]}
    item = next(i for u in section.units for i in u.items if i.target == "a1")
    assert item.last_step == "urging"


def test_a_supervisor_sees_only_the_units_they_supervise_across_conclusions() -> None:
    digest = digest_of(SUPERVISOR)
    assert [(c.number, [u.code for u in c.units]) for c in digest.conclusions] == [("312/KL-Ttra", ["ly-son"])]
    assert [i.target for i in digest.conclusions[0].units[0].items] == ["a2", "a1"]
    assert "cơ quan cấp trên của UBND huyện Lý Sơn (kết luận 312/KL-Ttra)" in digest.reasons


def test_a_unit_head_sees_their_unit_and_the_agency_head_the_whole_conclusion() -> None:
    assert [u.code for c in digest_of(LY_SON_HEAD).conclusions for u in c.units] == ["ly-son"]
    assert [u.code for c in digest_of(AGENCY_HEAD).conclusions for u in c.units] == ["so-xd", "ly-son"]


def test_nothing_overdue_gives_an_empty_digest_and_closed_conclusions_are_left_out() -> None:
    assert digest_of("other@thanhtra.example.vn").item_count == 0  # kl-90 has nothing overdue
    assert digest_of("nobody@example.vn").conclusions == []
    assert not any(c.workflow_id == "kl-1" for e in (SUPERVISOR, INSPECTORATE_HEAD) for c in digest_of(e).conclusions)


def test_recipients_are_the_heads_and_supervisors_of_active_conclusions() -> None:
    assert digest_recipients(CONCLUSIONS, UNITS) == {
        INSPECTORATE_HEAD,
        AGENCY_HEAD,
        "other@thanhtra.example.vn",
        "x@example.vn",
        LY_SON_HEAD,
        SUPERVISOR,
    }


def test_the_overdue_email_lists_items_with_days_overdue_and_says_why() -> None:
    mail = overdue_mail(digest_of(SUPERVISOR), NOW.date(), "https://dondoc.example.vn")
    assert mail.subject == "[Tổng hợp quá hạn] 01/12/2026 – 2 nội dung quá hạn ở 1 kết luận"
    assert "2.2. Kiểm điểm trách nhiệm" in mail.text and "quá hạn 7 ngày" in mail.text
    assert "Văn bản đã gửi: Nhắc nhở (20/11/2026); Quá hạn (28/11/2026)" in mail.text
    assert "Bạn nhận thư này vì là cơ quan cấp trên của UBND huyện Lý Sơn (kết luận 312/KL-Ttra)." in mail.text
    assert "https://dondoc.example.vn/account" in mail.text and "https://dondoc.example.vn/account" in mail.html
    assert "Kiểm điểm trách nhiệm" in mail.html and "https://dondoc.example.vn/conclusions/kl-312" in mail.html


EVIDENCE = [
    evidence("kl-312", "ev-2", "a1", NOW - 1 * DAY),
    evidence("kl-312", "ev-1", "a2", NOW - 3 * DAY),
    evidence("kl-312", "ev-0", "a2", NOW - 9 * DAY, status="rejected"),
    evidence("kl-90", "ev-9", "b1", NOW - 20 * DAY),  # not an officer of kl-90
]
REPORTS = [report("kl-312", "rp-1", "so-xd", NOW - 2 * DAY)]
REQUESTS = [
    extension("kl-312", "rq-1", "a4", NOW - 5 * DAY),
    extension("kl-312", "rq-2", "a4", NOW - 6 * DAY, status="denied"),
]


def test_the_review_queue_lists_what_awaits_an_officer_oldest_first_with_days_waiting() -> None:
    queue = review_queue(OFFICER, CONCLUSIONS, UNITS, ACTIONS, EVIDENCE, REPORTS, REQUESTS, NOW)
    assert [(i.kind, i.item_id, i.days_waiting) for i in queue.items] == [
        ("extension", "rq-1", 5),
        ("evidence", "ev-1", 3),
        ("report", "rp-1", 2),
        ("evidence", "ev-2", 1),
    ]
    assert queue.items[1].about == "2.2. Kiểm điểm trách nhiệm" and queue.items[1].unit_name == "UBND huyện Lý Sơn"
    assert queue.items[2].unit_name == "Sở Xây dựng"
    assert queue.numbers == ["312/KL-Ttra"]


def test_someone_who_is_no_officer_has_an_empty_queue() -> None:
    assert review_queue(INSPECTORATE_HEAD, CONCLUSIONS, UNITS, ACTIONS, EVIDENCE, REPORTS, REQUESTS, NOW).items == []
    assert officers_of(CONCLUSIONS) == {OFFICER}


def test_the_review_email_says_why_and_links_to_the_filtered_queue() -> None:
    queue = review_queue(OFFICER, CONCLUSIONS, UNITS, ACTIONS, EVIDENCE, REPORTS, REQUESTS, NOW)
    mail = review_mail(queue, NOW.date(), "https://dondoc.example.vn")
    assert mail.subject == "[Chờ xem xét] 01/12/2026 – 4 hồ sơ chờ bạn xem xét"
    assert "Bạn nhận thư này vì là cán bộ phụ trách theo dõi kết luận 312/KL-Ttra." in mail.text
    assert "https://dondoc.example.vn/review?mine=1" in mail.text
    assert mail.text.index("rq-1") < mail.text.index("ev-1") < mail.text.index("rp-1") < mail.text.index("ev-2")
    assert "đã chờ 5 ngày" in mail.text


def test_an_assumed_deadline_is_named_so_in_the_overdue_email() -> None:
    assumed = [a.model_copy(update={"due_assumed": a.action_id == "a2"}) for a in ACTIONS]
    units = [u.model_copy(update={"report_due_assumed": u.code == "so-xd"}) for u in UNITS]
    digest = overdue_digest(SUPERVISOR, CONCLUSIONS, units, assumed, OUTBOX, NOW)
    mail = overdue_mail(digest, NOW.date(), "https://dondoc.example.vn")
    report = overdue_mail(overdue_digest(INSPECTORATE_HEAD, CONCLUSIONS, units, assumed, OUTBOX, NOW), NOW.date(), "")
    assert "Báo cáo kết quả thực hiện kết luận thanh tra\n     Hạn giả định 17/11/2026 (kết luận" in report.text
    assert "Hạn giả định 24/11/2026 (kết luận không nêu thời hạn), đã qua 7 ngày" in mail.text
    assert "Hạn 27/11/2026, quá hạn 4 ngày" in mail.text  # a1's deadline is the conclusion's
    assert "hạn giả định" in mail.html
