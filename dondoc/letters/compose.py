"""What a letter says, step by step, laid out once (`LetterText`) for the email and the Word document alike.

Truthful by construction: it cites only the earlier letters the request carries (those really sent to the unit),
never states an assumed deadline as fact, and counts the urging letters it names rather than assuming them.
"""

from __future__ import annotations

from datetime import date, datetime

from dondoc.letters.text import LetterText
from models.labels import STEP, grouped
from models.mail import EarlierLetter, LetterLine, LetterRequest
from models.policy import URGING_STEPS, Step
from models.spec import ascii_slug
from models.vn import VN

SUBJECT = {
    Step.reminder: "nhắc thực hiện Kết luận thanh tra số {number}",
    Step.overdue: "thông báo nội dung quá hạn thực hiện Kết luận thanh tra số {number}",
    Step.urging: "{urging} thực hiện Kết luận thanh tra số {number}",
    Step.second_urging: "{urging} thực hiện Kết luận thanh tra số {number}",
    Step.proposal: "đề nghị kiểm tra, xử lý trách nhiệm trong việc thực hiện Kết luận thanh tra số {number}",
    Step.closing: "kết thúc theo dõi việc thực hiện Kết luận thanh tra số {number}",
}

EARLIER_KIND = {  # an urging letter is named by its number and date, not by the ladder's rung it came from
    Step.reminder: "nhắc thực hiện",
    Step.overdue: "thông báo quá hạn",
    Step.urging: "đôn đốc",
    Step.second_urging: "đôn đốc",
    Step.proposal: "đề nghị kiểm tra, xử lý trách nhiệm",
    Step.closing: "thông báo kết thúc theo dõi",
}

TABLE_HEADER = ["TT", "Nội dung kiến nghị", "Hạn thực hiện", "Tình trạng"]
ORDINAL = {2: "hai", 3: "ba", 4: "tư", 5: "năm"}


def long_date(day: date) -> str:
    """Nghị định 30/2020, Phụ lục I: a day below 10 and the months 1 and 2 take a leading zero, no other month."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def short_date(moment: datetime | date) -> str:
    day = moment.astimezone(VN).date() if isinstance(moment, datetime) else moment
    return f"{day:%d/%m/%Y}"


def money(amount: int) -> str:
    return f"{grouped(amount)} đồng"


def cite_conclusion(r: LetterRequest) -> str:
    return f"Kết luận thanh tra số {r.number} {long_date(r.issued_on)} của {r.issuer} ({r.title})"


def cite_letter(letter: EarlierLetter) -> str:
    day = letter.signed_on or letter.sent_at.astimezone(VN).date()
    number = f"số {letter.number} " if letter.number else ""
    return f"văn bản {EARLIER_KIND[letter.step]} {number}ngày {short_date(day)}"


def urgings_before(r: LetterRequest) -> int:
    """Urging letters really sent to the unit before this one (all of them, not only the latest it cites)."""
    if r.urgings_before is not None:
        return r.urgings_before
    return sum(1 for e in r.earlier if e.step in URGING_STEPS)


def urging_count(r: LetterRequest) -> int:
    """Which urging letter this one is, counting those really sent to the unit before it (0: not an urging)."""
    if r.step not in URGING_STEPS:
        return 0
    return 1 + urgings_before(r)


def urging_words(count: int) -> str:
    """What an urging letter calls itself: "đôn đốc", "đôn đốc lần thứ hai", …"""
    return "đôn đốc" if count <= 1 else f"đôn đốc lần thứ {ORDINAL.get(count, str(count))}"


def step_label(r: LetterRequest) -> str:
    """The letter's kind as a subject tag: an urging letter counts the urging letters really sent before it,
    whatever rung of the ladder it comes from (a ladder without a first urging sends no "lần 2")."""
    count = urging_count(r)
    if count:
        return "Đôn đốc" if count == 1 else f"Đôn đốc lần {count}"
    if asks_check_only(r):
        return "Đề nghị kiểm tra"
    return STEP[r.step]


def missed(r: LetterRequest) -> bool:
    """Whether a deadline the conclusion itself set has passed for an item listed (an assumed one never counts)."""
    return any(line.days_overdue > 0 for line in r.items)


def asks_check_only(r: LetterRequest) -> bool:
    """A proposal whose items passed only assumed deadlines: it asks for a check, holding nobody responsible."""
    return r.step == Step.proposal and not missed(r)


def _subject_of(r: LetterRequest) -> str:
    if asks_check_only(r):  # nobody is held responsible for a deadline never set
        return f"đề nghị kiểm tra việc thực hiện Kết luận thanh tra số {r.number}"
    return SUBJECT[r.step].format(number=r.number, urging=urging_words(urging_count(r)))


def _what(r: LetterRequest) -> str:
    """How the body names the listed items."""
    reports = sum(1 for line in r.items if line.is_report)
    if reports == len(r.items):
        return "việc báo cáo kết quả thực hiện kết luận thanh tra"
    return "các nội dung kiến nghị dưới đây" if len(r.items) > 1 else "nội dung kiến nghị dưới đây"


def body(r: LetterRequest) -> list[str]:
    """The paragraphs before the table of items."""
    sender = r.tracking_body
    opening = f"Thực hiện chức năng theo dõi, đôn đốc việc thực hiện {cite_conclusion(r)}"
    sent = [e for e in r.earlier if e.step != Step.closing]
    history = ""
    if sent:
        history = f"{sender} đã có " + "; ".join(cite_letter(e) for e in sent) + f" gửi {r.unit_name}."
    urged = urgings_before(r)
    what = _what(r)
    if r.step == Step.closing:
        otherwise = [
            *([f"{r.waived} nội dung được miễn thực hiện"] if r.waived else []),
            *([f"{r.transferred} nội dung đã chuyển cơ quan điều tra"] if r.transferred else []),
        ]
        ended = "các kiến nghị của kết luận đã được thực hiện"
        if otherwise:
            ended = f"các kiến nghị của kết luận đã được thực hiện hoặc xử lý xong ({'; '.join(otherwise)})"
        return [
            f"{opening}, {sender} thông báo: {ended} và báo cáo kết quả thực hiện của các đơn vị đã được chấp nhận.",
            f"{sender} kết thúc việc theo dõi, đôn đốc việc thực hiện kết luận thanh tra nói trên.",
        ]
    if r.step == Step.reminder:
        return [
            f"{opening}, {sender} đề nghị {r.unit_name} hoàn thành {what} trước thời hạn "
            "và gửi báo cáo kết quả kèm tài liệu chứng minh.",
        ]
    if all(line.days_overdue > 0 for line in r.items):
        late = "đã quá thời hạn thực hiện nhưng chưa có báo cáo kết quả kèm tài liệu chứng minh được chấp nhận."
    else:  # an assumed due date is never stated as a fact: the table says which items are late and by how much
        late = "chưa có báo cáo kết quả kèm tài liệu chứng minh được chấp nhận (thời hạn và tình trạng của từng nội "
        late += "dung ghi tại bảng)."
    paragraphs = [f"{opening}, {sender} nhận thấy {what} {late}"]
    if history:
        paragraphs.append(history)
    if r.step == Step.overdue:
        paragraphs.append(
            f"Đề nghị {r.unit_name} khẩn trương thực hiện và gửi báo cáo kết quả kèm tài liệu chứng minh."
        )
    elif r.step == Step.urging:
        paragraphs.append(
            f"{sender} đề nghị {_addressed(r)} chỉ đạo thực hiện nghiêm túc {what} và báo cáo kết quả "
            "kèm tài liệu chứng minh."
        )
    elif r.step == Step.second_urging:
        again = "tiếp tục " if urged else ""
        paragraphs.append(
            f"{sender} {again}đề nghị {_addressed(r)} chỉ đạo khẩn trương thực hiện {what}; đồng thời đề nghị "
            "tổ chức buổi làm việc để xác định nguyên nhân chậm thực hiện và thời hạn hoàn thành."
        )
    elif r.step == Step.proposal:
        if urged:
            standing = f"{r.unit_name} đã được đôn đốc {urged} lần nhưng đến nay chưa hoàn thành {what}."
        else:
            standing = f"Đến nay {r.unit_name} vẫn chưa hoàn thành {what}."
        if not asks_check_only(r):
            ask = (
                "xem xét, chỉ đạo kiểm tra việc thực hiện kết luận thanh tra và xử lý trách nhiệm của tập thể, cá nhân "
                "có liên quan theo quy định của pháp luật về thanh tra."
            )
        else:  # only assumed deadlines passed: the conclusion set none, so no one is yet answerable for being late
            ask = (
                f"xem xét, chỉ đạo kiểm tra việc thực hiện kết luận thanh tra và yêu cầu {r.unit_name} báo cáo tiến "
                "độ, thời hạn hoàn thành các nội dung nêu trên."
            )
        paragraphs.append(f"{standing} {sender} đề nghị {_addressed(r)} {ask}")
    return paragraphs


def _addressed(r: LetterRequest) -> str:
    return ", ".join(r.addressees) if r.addressees else r.unit_name


def row(index: int, line: LetterLine) -> list[str]:
    ref = f"{line.ref}. " if line.ref else ""
    text = f"{ref}{line.text}"
    if line.amount_vnd:  # inside the item's sentence, before its full stop
        stop = "." if text.endswith(".") else ""
        text = f"{text.removesuffix(stop)} (số tiền: {money(line.amount_vnd)}){stop}"
    if line.due is None:
        due = ""
    elif line.due_assumed:
        due = f"{short_date(line.due)} (hạn giả định)"
    else:
        due = short_date(line.due)
    status: list[str] = []
    if line.days_overdue > 0:
        status.append(f"Quá hạn {grouped(line.days_overdue)} ngày")
    elif line.due_assumed:
        status.append("Kết luận không nêu hạn; đề nghị đơn vị báo cáo tiến độ")
    else:
        status.append("Chưa đến hạn")
    if line.progress:
        status.append(line.progress)
    if line.last_reason:
        status.append(f"Tài liệu đã gửi bị trả lại: {line.last_reason}")
    return [str(index), text, due, ". ".join(status)]


def notes(r: LetterRequest) -> list[str]:
    if any(line.due_assumed for line in r.items):
        return [
            "Hạn giả định: kết luận thanh tra không nêu thời hạn cụ thể cho nội dung này; thời hạn ghi trong "
            "bảng chỉ dùng để theo dõi, không phải thời hạn do kết luận ấn định."
        ]
    return []


# Administrative levels a letterhead keeps after the issuing body's own words ("THANH TRA TỈNH"), longest first.
_LEVELS = ("thành phố", "thị xã", "tổng cục", "bộ", "sở", "tỉnh", "huyện", "quận", "xã", "phường", "cục")


def letterhead(body: str, parent: str | None) -> tuple[str | None, str]:
    """The two lines of a letterhead (Nghị định 30/2020): the parent body, and the issuing body written without what
    the parent line already says, as offices write it: "UBND TỈNH QUẢNG NGÃI" over "THANH TRA TỈNH" (an
    inspectorate is named by its level) or "SỞ XÂY DỰNG", "BỘ THÔNG TIN VÀ TRUYỀN THÔNG" over "THANH TRA BỘ". The
    issuing body stays whole when its name does not end with the parent's level and place."""
    if not parent:
        return None, body.upper()
    words, above = body.split(), parent.split()
    for level in _LEVELS:
        size = len(level.split())
        for start in range(1, len(words) - size + 1):
            tail = [w.casefold() for w in words[start:]]
            if " ".join(tail[:size]) != level or len(tail) == size:
                continue
            if [w.casefold() for w in above[-len(tail) :]] == tail:  # the parent ends with this level and place
                own = words[:start]
                named_by_level = " ".join(own).casefold() == "thanh tra"
                return parent.upper(), " ".join(words[: start + size] if named_by_level else own).upper()
    return parent.upper(), body.upper()


def closing_words(r: LetterRequest) -> list[str]:
    if r.step == Step.closing:
        return []
    if r.step == Step.proposal:
        return [f"Kính đề nghị {_addressed(r)} xem xét, chỉ đạo./."]
    return [f"Đề nghị {r.unit_name} nghiêm túc thực hiện./."]


def letter_text(r: LetterRequest) -> LetterText:
    sig = r.signature
    symbol = f"/{sig.letter_symbol}" if sig.letter_symbol else "/"
    today = r.now.astimezone(VN).date()
    place = f"{sig.place}, " if sig.place else ""
    recipients = ["Như trên;", *[f"{t};" for t in r.copied_to], "Lưu: VT."]
    parent, issuing_body = letterhead(r.tracking_body, sig.parent)
    return LetterText(
        issuing_parent=parent,
        issuing_body=issuing_body,
        number_line=f"Số:        {symbol}",
        place_date=f"{place}{long_date(today)}",
        subject=_subject_of(r),
        addressees=r.addressees,
        paragraphs_before=body(r),
        table_header=TABLE_HEADER if r.items else [],
        table_rows=[row(i, line) for i, line in enumerate(r.items, start=1)],
        paragraphs_after=closing_words(r),
        recipients=recipients,
        signer_title=sig.title.upper(),
        signer_name=sig.name,
        signer_prefix=sig.acting_for,
        notes=notes(r),
        dated=r.now,
        author=r.tracking_body,
    )


def letter_filename(r: LetterRequest) -> str:
    """The attachment and the download alike, in the office's words without diacritics (mail clients and file
    systems of every kind keep them): "van-ban-don-doc-lan-2-ubnd-huyen-ly-son-ngay-02-12-2026.docx"."""
    day = r.now.astimezone(VN).date()
    what = ascii_slug(f"văn bản {step_label(r)} {r.unit_name or 'kết luận ' + r.number}", 120)
    return f"{what}-ngay-{day:%d-%m-%Y}.docx"
