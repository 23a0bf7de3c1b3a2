"""Rendering a notice into a Vietnamese subject, plain text and HTML from Jinja2 templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from models.labels import STEP, VN
from models.mail import MailRequest


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dondoc", "templates/mail"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vn_datetime"] = _vn_datetime
    env.filters["vn_date"] = lambda value: value.astimezone(VN).strftime("%d/%m/%Y")
    return env


def _vn_datetime(value: datetime) -> str:
    local = value.astimezone(VN)
    if (local.hour, local.minute) == (23, 59):
        return f"hết ngày {local:%d/%m/%Y}"
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def subject(request: MailRequest) -> str:
    parts = [f"[{STEP[request.step]}] KL {request.number}"]
    if request.unit_name:
        parts.append(request.unit_name)
    return " – ".join(parts)


def render(request: MailRequest, link: str) -> RenderedMail:
    """`link` opens the unit's portal (a signed link) or, for notices without a unit, the conclusion page."""
    env = _environment()
    context: dict[str, object] = {"r": request, "step_label": STEP[request.step], "link": link}
    # The intro is plain text shared by both bodies; the HTML template escapes it like any other value.
    context["intro_paragraphs"] = env.get_template("_intro.txt").render(context).strip().split("\n\n")
    return RenderedMail(
        subject=subject(request),
        text=env.get_template("notice.txt").render(context),
        html=env.get_template("notice.html").render(context),
    )
