"""Charts as SVG, drawn on the server: no script, no chart library, nothing from a CDN, and
nothing the Content-Security-Policy (``style-src 'self'``, no inline script) has to allow:
colours are SVG presentation attributes, not style attributes.

Elements are built with ElementTree, which escapes every text and attribute, so no label can
become markup. Time runs left to right also on a right-to-left page (``direction="ltr"`` on the
chart), as dates do in Arabic and Dari tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from xml.etree.ElementTree import Element, SubElement

SVG = "http://www.w3.org/2000/svg"
PALETTE = ("#1f5fa8", "#d9822b", "#2f8f5b", "#a83279", "#6b6b6b", "#8c6d1f")
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def _svg(label: str, height: int = HEIGHT) -> Element:
    svg = Element(
        "svg",
        {
            "xmlns": SVG,
            "viewBox": f"0 0 {WIDTH} {height}",
            "role": "img",
            "aria-label": label,
            "class": "chart",
            "direction": "ltr",
        },
    )
    SubElement(svg, "title").text = label
    return svg


def _text(parent: Element, x: float, y: float, text: str, anchor: str = "start", cls: str = "axis") -> None:
    SubElement(parent, "text", {"x": f"{x:.1f}", "y": f"{y:.1f}", "text-anchor": anchor, "class": cls}).text = text


def line_chart(
    label: str,
    days: Sequence[dt.date],
    series: dict[str, dict[dt.date, float]],
    names: Callable[[str], str],
    as_share: bool = False,
) -> Element:
    """One line per series over the days (missing days count as 0, or no point for a share)."""
    svg = _svg(label)
    peak = 1.0 if as_share else max([1.0, *(v for values in series.values() for v in values.values())])
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(1, len(days) - 1)

    def x(index: int) -> float:
        return LEFT + (index * step if len(days) > 1 else inner_w / 2)

    def y(value: float) -> float:
        return TOP + inner_h - (value / peak) * inner_h

    SubElement(
        svg,
        "line",
        {"x1": str(LEFT), "y1": f"{y(0):.1f}", "x2": str(WIDTH - RIGHT), "y2": f"{y(0):.1f}", "class": "grid"},
    )
    SubElement(
        svg,
        "line",
        {"x1": str(LEFT), "y1": f"{y(peak):.1f}", "x2": str(WIDTH - RIGHT), "y2": f"{y(peak):.1f}", "class": "grid"},
    )
    _text(svg, LEFT - 6, y(0) + 4, "0", "end")
    _text(svg, LEFT - 6, y(peak) + 4, "100%" if as_share else f"{peak:g}", "end")
    for index in sorted({0, len(days) - 1, len(days) // 2}):
        if 0 <= index < len(days):
            _text(svg, x(index), HEIGHT - 8, days[index].strftime("%d-%m"), "middle")
    legend = SubElement(svg, "g", {"class": "legend"})
    for number, (name, values) in enumerate(series.items()):
        colour = PALETTE[number % len(PALETTE)]
        points = [(x(i), y(values.get(day, 0.0))) for i, day in enumerate(days) if not as_share or day in values]
        if len(points) == 1:
            SubElement(
                svg, "circle", {"cx": f"{points[0][0]:.1f}", "cy": f"{points[0][1]:.1f}", "r": "3", "fill": colour}
            )
        elif points:
            SubElement(
                svg,
                "polyline",
                {
                    "points": " ".join(f"{px:.1f},{py:.1f}" for px, py in points),
                    "fill": "none",
                    "stroke": colour,
                    "stroke-width": "2",
                    "data-series": name,
                },
            )
        SubElement(
            legend,
            "rect",
            {"x": str(LEFT + 8 + number * 110), "y": str(TOP), "width": "10", "height": "10", "fill": colour},
        )
        _text(legend, LEFT + 22 + number * 110, TOP + 9, names(name), cls="legend-label")
    return svg


def bar_chart(
    label: str, bars: Sequence[tuple[str, float]], shown: Callable[[float], str] = lambda v: f"{v:g}"
) -> Element:
    """Horizontal bars, one per (label, value), longest first as given."""
    row = 22
    height = TOP + BOTTOM // 2 + row * max(1, len(bars))
    svg = _svg(label, height)
    peak = max([1.0, *(value for _, value in bars)])
    start, inner_w = 200, WIDTH - 200 - 60
    for number, (name, value) in enumerate(bars):
        top = TOP + number * row
        _text(svg, start - 8, top + 14, name, "end", "bar-label")
        SubElement(
            svg,
            "rect",
            {
                "x": str(start),
                "y": str(top + 3),
                "width": f"{max(1.0, value / peak * inner_w):.1f}",
                "height": "14",
                "fill": PALETTE[number % len(PALETTE)],
            },
        )
        _text(svg, start + value / peak * inner_w + 6, top + 14, shown(value), cls="bar-value")
    return svg
