"""The class overview's two charts as inline SVG: readable printed, zoomed, and without colour.

Every bar carries its number as text, and the bars are one dark grey, so that nothing depends on colour.
"""

from html import escape

BAR = "#44546a"  # dark slate: dark enough to print grey, not black, on any printer
INK = "#1b1b1b"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="13"'


def bar_chart(rows: list[tuple[str, int]], title: str, unit: str) -> str:
    """Horizontal bars, one per (label, count), the count written after each bar."""
    label_width = max([len(label) for label, _ in rows] + [8]) * 7.4 + 12  # px: 13 px text, about 7 px a letter
    bar_space, height = 360, 26
    top = max([n for _, n in rows] + [1])
    width = label_width + bar_space + 130  # room for the count after the longest bar
    total = 12 + height * len(rows)
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {total}" width="{width:.0f}" '
             f'height="{total}" role="img" aria-label="{escape(title)}" {FONT}><title>{escape(title)}</title>')]
    for k, (label, n) in enumerate(rows):
        y = 6 + k * height
        w = bar_space * n / top
        parts.append(f'<text x="{label_width - 8:.0f}" y="{y + 17}" text-anchor="end" fill="{INK}">'
                     f'{escape(label)}</text>')
        parts.append(f'<rect x="{label_width:.0f}" y="{y + 4}" width="{max(w, 1):.1f}" height="{height - 8}" '
                     f'fill="{BAR}"/>')
        parts.append(f'<text x="{label_width + w + 6:.1f}" y="{y + 17}" fill="{INK}">{n} {unit}'
                     f'{"s" * (n != 1)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(counts: list[int], title: str) -> str:
    """Vertical bars over equal ranges of 0–100 %, each count above its bar, the range below it."""
    bins = len(counts)
    bar, gap, plot = 46, 8, 160
    left, width = 40, 40 + bins * (bar + gap) + 10
    top = max(counts + [1])
    base = plot + 30
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {base + 46}" width="{width}" '
             f'height="{base + 46}" role="img" aria-label="{escape(title)}" {FONT}><title>{escape(title)}</title>'),
             f'<line x1="{left - 4}" y1="{base}" x2="{width - 6}" y2="{base}" stroke="{INK}"/>']
    for k, n in enumerate(counts):
        x = left + k * (bar + gap)
        h = plot * n / top
        lo, hi = 100 * k // bins, 100 * (k + 1) // bins
        if n:
            parts.append(f'<rect x="{x}" y="{base - h:.1f}" width="{bar}" height="{h:.1f}" fill="{BAR}"/>')
        parts.append(f'<text x="{x + bar / 2}" y="{base - h - 6:.1f}" text-anchor="middle" fill="{INK}">{n}</text>')
        parts.append(f'<text x="{x + bar / 2}" y="{base + 18}" text-anchor="middle" fill="{INK}">{lo}–{hi}</text>')
    parts.append(f'<text x="{left + bins * (bar + gap) / 2}" y="{base + 40}" text-anchor="middle" '
                 f'fill="{INK}">score (% of the points)</text>')
    parts.append("</svg>")
    return "".join(parts)
