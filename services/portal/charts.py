"""Bar charts as inline SVG, drawn on the server: no script, no external library, no CDN.

Presentation attributes only (no style attributes), so the portal's Content-Security-Policy can
forbid inline styles. Every text goes through XML escaping.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

BAR_COLOURS = ("#1f5f8b", "#c0392b", "#7f8c8d", "#27ae60")


def bar_chart(
    title: str,
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[str],
    *,
    width: int = 640,
    bar_height: int = 22,
    label_width: int = 190,
) -> Markup:
    """Horizontal stacked bars: one row per label, one segment per series, with a legend."""
    rows = list(rows)
    top, gap, legend_h = 28, 8, 26
    height = top + max(1, len(rows)) * (bar_height + gap) + legend_h
    plot = width - label_width - 60
    peak = max((sum(values) for _, values in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title, {chr(34): "&quot;"})}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="18" font-size="15" font-weight="bold" fill="#222">{escape(title)}</text>',
    ]
    if not rows:
        parts.append(f'<text x="0" y="{top + 16}" font-size="13" fill="#555">—</text>')
    for i, (label, values) in enumerate(rows):
        y = top + i * (bar_height + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" font-size="13" '
            f'text-anchor="end" fill="#222">{escape(_clip(label))}</text>'
        )
        x = float(label_width)
        for j, value in enumerate(values):
            w = plot * value / peak
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" '
                    f'fill="{BAR_COLOURS[j % len(BAR_COLOURS)]}"><title>{escape(label)}: '
                    f"{escape(series[j])} {_num(value)}</title></rect>"
                )
            x += w
        parts.append(
            f'<text x="{x + 6:.1f}" y="{y + bar_height * 0.7:.1f}" font-size="13" fill="#222">'
            f"{_num(sum(values))}</text>"
        )
    ly = height - 8
    lx = float(label_width)
    for j, name in enumerate(series):
        colour = BAR_COLOURS[j % len(BAR_COLOURS)]
        parts.append(f'<rect x="{lx:.1f}" y="{ly - 11}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 16:.1f}" y="{ly}" font-size="12" fill="#222">{escape(name)}</text>')
        lx += 24 + 7.5 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))


def _num(value: float) -> str:
    return f"{int(value):,}".replace(",", ".") if float(value).is_integer() else f"{value:,.1f}"


def _clip(label: str, n: int = 28) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"
