"""The daily emails as Vietnamese subject, plain text and HTML (templates under templates/mail), each saying why the
person receives it and where to switch it off."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from dondoc.digests import OverdueDigest, ReviewQueue
from dondoc.mail_render import RenderedMail
from models.labels import STEP, VN

KIND_LABEL = {"evidence": "Minh chứng", "report": "Báo cáo kết quả thực hiện", "extension": "Đề nghị gia hạn"}
MAX_REASONS = 5


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dondoc", "templates/mail"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vn_date"] = lambda value: f"{value.astimezone(VN):%d/%m/%Y}"
    env.filters["vn_datetime"] = lambda value: f"{value.astimezone(VN):%H:%M %d/%m/%Y}"
    env.filters["step"] = lambda value: STEP.get(value, value) if value else "chưa có"
    env.filters["kind"] = lambda value: KIND_LABEL.get(value, value)
    return env


def _render(name: str, subject: str, context: dict[str, object]) -> RenderedMail:
    env = _environment()
    context = {"subject": subject, **context}
    return RenderedMail(
        subject=subject,
        text=env.get_template(f"{name}.txt").render(context),
        html=env.get_template(f"{name}.html").render(context),
    )


def why_text(reasons: list[str]) -> str:
    shown = list(dict.fromkeys(reasons))
    more = len(shown) - MAX_REASONS
    text = "; ".join(shown[:MAX_REASONS]) + (f" và {more} vai trò khác" if more > 0 else "")
    return f"Bạn nhận thư này vì là {text}."


def overdue_mail(digest: OverdueDigest, day: date, base: str) -> RenderedMail:
    count = digest.item_count
    subject = f"[Tổng hợp quá hạn] {day:%d/%m/%Y} – {count} nội dung quá hạn ở {len(digest.conclusions)} kết luận"
    context: dict[str, object] = {
        "d": digest,
        "day": day,
        "base": base,
        "why": why_text(digest.reasons),
        "preferences": f"{base}/account",
    }
    return _render("overdue_digest", subject, context)


def review_mail(queue: ReviewQueue, day: date, base: str) -> RenderedMail:
    subject = f"[Chờ xem xét] {day:%d/%m/%Y} – {len(queue.items)} hồ sơ chờ bạn xem xét"
    numbers = ", ".join(queue.numbers)
    context: dict[str, object] = {
        "q": queue,
        "day": day,
        "base": base,
        "why": f"Bạn nhận thư này vì là cán bộ phụ trách theo dõi kết luận {numbers}.",
        "preferences": f"{base}/account",
    }
    return _render("review_queue", subject, context)
