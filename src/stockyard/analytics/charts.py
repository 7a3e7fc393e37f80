"""Charts for the pages, rendered on the server as SVG by pygal and embedded as images.

Embedding as <img src="data:image/svg+xml;..."> keeps the chart inert (pygal's SVG carries a script for its
tooltips, which an image never runs) and needs no JavaScript on the page.
"""

import base64
from collections.abc import Sequence

import pygal
from pygal.style import Style

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#9aa5b1",
    colors=("#2563eb", "#16a34a", "#d97706", "#7c3aed", "#dc2626"),
    font_family="system-ui, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=11,
    title_font_size=13,
    value_font_size=10,
)


def _options(title: str, width: int, height: int) -> dict[str, object]:
    return {"title": title, "width": width, "height": height, "style": _STYLE, "js": [],
            "disable_xml_declaration": True, "legend_at_bottom": True, "print_values": False,
            "show_y_guides": True, "truncate_label": 18}


def bar_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]], *,
              horizontal: bool = False, width: int = 640, height: int = 280, stacked: bool = False) -> str:
    """A (grouped, or stacked) bar chart as SVG markup: one bar per label for each named series."""
    kind = (pygal.StackedBar if stacked else pygal.HorizontalBar if horizontal else pygal.Bar)
    chart = kind(**_options(title, width, height))
    chart.x_labels = list(labels)
    chart.show_legend = len(series) > 1
    for name, values in series.items():
        chart.add(name, [None if v is None else float(v) for v in values])
    return chart.render(is_unicode=True)


def line_chart(title: str, labels: Sequence[str], series: dict[str, Sequence[float | None]], *,
               width: int = 640, height: int = 240) -> str:
    chart = pygal.Line(**_options(title, width, height), x_label_rotation=0, show_minor_x_labels=False)
    chart.x_labels = list(labels)
    chart.x_labels_major = list(labels)[:: max(1, len(labels) // 7)]
    chart.show_legend = len(series) > 1
    for name, values in series.items():
        chart.add(name, [None if v is None else float(v) for v in values])
    return chart.render(is_unicode=True)


def as_image_src(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def sparkline(values: Sequence[float | None], *, bars: bool = False, width: int = 180, height: int = 40) -> str:
    """A small chart without axes or labels (the analytics index's tiles); nothing drawn when there is no value."""
    chart = (pygal.Bar if bars else pygal.Line)(style=_STYLE, js=[], disable_xml_declaration=True, no_data_text="",
                                                 show_dots=False, fill=not bars)
    chart.add("", [None if v is None else float(v) for v in values])
    return chart.render_sparkline(width=width, height=height, interpolate=None, is_unicode=True)
