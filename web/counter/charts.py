"""Charts as SVG images rendered on the server with pygal: no script, readable without one.

pygal writes a ``<script>`` with its configuration even without JavaScript files; an XML filter
removes it, and the tooltips that would need it are off. The chart goes into the page as an
``<img>`` with a ``data:`` address (the CSP's img-src allows data:): inside an image the SVG's own
``<style>`` applies to the image alone, and a browser never runs an image's scripts. Every chart
has its text alternative in ``alt`` and a table of the same figures beside it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import pygal
from pygal.style import Style

# High-contrast colours that stay apart for the common colour-vision deficiencies (Okabe-Ito).
_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#595959",
    colors=("#0072b2", "#d55e00", "#009e73", "#cc79a7"),
    font_family="'Noto Sans CJK TC', 'Noto Sans TC', 'Microsoft JhengHei', sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    legend_font_size=13,
    title_font_size=16,
)


def _no_script(root: Any) -> Any:
    """Drop every ``<script>`` pygal put in (its configuration, for the tooltips we turn off)."""
    for parent in root.iter():
        for child in list(parent):
            if str(child.tag).rpartition("}")[2] == "script":
                parent.remove(child)
    return root


def _wide(text: str) -> int:
    """How many CJK (double-width) characters ``text`` holds."""
    return sum(1 for char in text if ord(char) >= 0x2E80)


def horizontal_bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    maximum: float | None = None,
    unit: str = "",
) -> str:
    """A horizontal bar chart as a ``data:image/svg+xml`` address."""
    chart = pygal.HorizontalBar(
        style=_STYLE,
        js=[],
        tooltips=False,
        disable_xml_declaration=True,
        width=720,
        height=max(160, 70 + 34 * len(labels) * max(1, len(series))),
        explicit_size=True,
        print_values=True,
        print_values_position="top",
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        truncate_label=-1,
        # pygal sizes the label column for Latin letters; a Chinese character is about twice as
        # wide, so give the labels that much more room.
        margin_left=7 * max((_wide(label) for label in labels), default=0),
        range=(0, maximum) if maximum is not None else None,
        formatter=lambda value: f"{value:g}{unit}" if value is not None else "",
        title=title,
    )
    chart.add_xml_filter(_no_script)
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    svg = chart.render(is_unicode=True)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
