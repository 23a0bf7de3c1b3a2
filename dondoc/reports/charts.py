"""Charts of the statistics as inline SVG drawn on the server: no script, prints as it shows, scales to a phone."""

from __future__ import annotations

from html import escape

from dondoc.reports.statistics import Figures, Line

SEGMENTS: list[tuple[str, str, str]] = [  # figure, label, colour
    ("done_on_time", "Hoàn thành đúng hạn", "#1e7d32"),
    ("done_late", "Hoàn thành quá hạn", "#c98a00"),
    ("overdue", "Quá hạn chưa hoàn thành", "#b00020"),
    ("in_progress", "Đang thực hiện, trong hạn", "#0b5394"),
    ("waived", "Miễn thực hiện", "#8a939c"),
    ("transferred", "Chuyển cơ quan điều tra", "#4a4f55"),
]
WIDTH = 600
BAR = 18


def _svg(rects: str, label: str) -> str:
    """One bar, stretched to the width it is given (its label is HTML above it, sized like the page's text)."""
    return (
        f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {BAR}" preserveAspectRatio="none" '
        f'width="100%" height="{BAR}">{rects}</svg>'
    )


def _row(label: str, rects: str) -> str:
    return f'<div class="chart-row"><div class="chart-label">{escape(label)}</div>{_svg(rects, label)}</div>'


def _segments(figures: Figures, scale: int) -> str:
    parts, x = [], 0.0
    for key, label, colour in SEGMENTS:
        value = int(getattr(figures, key))
        if not value:
            continue
        width = WIDTH * value / scale
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="{BAR}" fill="{colour}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        x += width
    return "".join(parts)


def outcome_bars(lines: list[Line], title: str) -> str:
    """One stacked bar per line (issuer or unit): the outcome of its actions, on a common scale."""
    if not lines:
        return ""
    scale = max(line.figures.actions for line in lines) or 1
    rows = [
        _row(
            f"{line.name} — {line.figures.actions} kiến nghị, {line.figures.overdue} quá hạn",
            _segments(line.figures, scale),
        )
        for line in lines
    ]
    return f'<figure class="chart" aria-label="{escape(title)}">' + "".join(rows) + "</figure>"


def money_bars(figures: Figures) -> str:
    """Money to recover and recovered, one bar each."""
    total = figures.amount_to_recover_vnd
    if not total:
        return ""
    rows = []
    for i, (label, value, colour) in enumerate(
        (
            ("Phải thu hồi", total, "#8a939c"),
            ("Đã thu hồi đến cuối kỳ", figures.recovered_vnd, "#1e7d32"),
            ("Thu hồi trong kỳ", figures.recovered_in_period_vnd, "#0b5394"),
        )
    ):
        amount = f"{value:,}".replace(",", ".")
        share = f" ({100 * value / total:.1f}%)" if i else ""
        width = WIDTH * min(value, total) / total
        rect = f'<rect x="0" y="0" width="{width:.1f}" height="{BAR}" fill="{colour}"></rect>'
        rows.append(_row(f"{label}: {amount} đồng{share}", rect))
    return '<figure class="chart" aria-label="Thu hồi tiền">' + "".join(rows) + "</figure>"
