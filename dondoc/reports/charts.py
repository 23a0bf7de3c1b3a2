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
ROW = 44


def _bar(y: float, figures: Figures, scale: int) -> str:
    parts, x = [], 0.0
    for key, label, colour in SEGMENTS:
        value = int(getattr(figures, key))
        if not value:
            continue
        width = WIDTH * value / scale
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{BAR}" fill="{colour}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        x += width
    return "".join(parts)


def outcome_bars(lines: list[Line], title: str) -> str:
    """One stacked bar per line (issuer or unit): the outcome of its actions, on a common scale."""
    if not lines:
        return ""
    scale = max(line.figures.actions for line in lines) or 1
    height = ROW * len(lines) + 8
    rows = []
    for i, line in enumerate(lines):
        y = i * ROW
        f = line.figures
        caption = f"{line.name} — {f.actions} kiến nghị, {f.overdue} quá hạn"
        rows.append(f'<text x="0" y="{y + 14}" font-size="14">{escape(caption)}</text>')
        rows.append(_bar(y + 20, f, scale))
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(rows)
        + "</svg>"
    )


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
        y = i * ROW
        amount = f"{value:,}".replace(",", ".")
        share = f" ({100 * value / total:.1f}%)" if i else ""
        rows.append(f'<text x="0" y="{y + 14}" font-size="14">{escape(label)}: {amount} đồng{share}</text>')
        rows.append(
            f'<rect x="0" y="{y + 20}" width="{WIDTH * min(value, total) / total:.1f}" height="{BAR}" '
            f'fill="{colour}"><title>{escape(label)}</title></rect>'
        )
    height = ROW * 3 + 8
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="Thu hồi tiền">' + "".join(rows) + "</svg>"
    )
