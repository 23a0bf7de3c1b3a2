"""Rendering one copy of a letter into a Vietnamese subject, plain text and HTML from Jinja2 templates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from dondoc.letters.compose import letter_text, step_label
from models.mail import Audience, LetterCopy, LetterRequest
from models.policy import Step


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of every email template (dondoc/templates/mail)."""
    return Environment(
        loader=PackageLoader("dondoc", "templates/mail"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # packaged templates: no stat of each file per letter
    )


def subject(request: LetterRequest) -> str:
    parts = [f"[{step_label(request)}] KL {request.number}"]
    if request.unit_name:
        parts.append(request.unit_name)
    if len(request.items) > 1:
        parts.append(f"{len(request.items)} nội dung")
    return " – ".join(parts)


def _why(request: LetterRequest, copy: LetterCopy) -> str:
    if request.step == Step.closing:
        return f"Bạn nhận thư này vì có trách nhiệm thực hiện hoặc theo dõi Kết luận thanh tra số {request.number}."
    if copy.audience == Audience.unit:
        return f"Bạn nhận thư này vì là đầu mối hoặc thủ trưởng của {request.unit_name}."
    return f"Bạn nhận bản để biết, để theo dõi vì là người nhận văn bản «{step_label(request)}» đối với {request.unit_name}."


def _action_text(copy: LetterCopy) -> str:
    if copy.audience == Audience.unit:
        return "Gửi minh chứng, báo cáo hoặc đề nghị gia hạn"
    return "Xem tình hình thực hiện của đơn vị (chỉ xem)"


def render(request: LetterRequest, copy: LetterCopy, link: str | None) -> RenderedMail:
    """`link` opens the unit's portal for the unit's copy, a read-only view for everyone else; None (the closing
    notice, to people of every unit, with nothing left to do): no link."""
    env = environment()
    context: dict[str, object] = {
        "t": letter_text(request),
        "subject": subject(request),
        "link": link,
        "why": _why(request, copy),
        "action_text": _action_text(copy),
    }
    return RenderedMail(
        subject=subject(request),
        text=env.get_template("letter.txt").render(context),
        html=env.get_template("letter.html").render(context),
    )
