"""A horizontal bar chart in text: `label  ██████▌   $12.40` (values printed, not only drawn)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from console.format.numbers import fmt_money, text_or_dash

EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, peak: float, width: int) -> str:
    """A bar `width` cells long at `peak`, with eighth-cell resolution."""
    if peak <= 0 or value <= 0:
        return ""
    eighths = round(8 * width * min(value, peak) / peak)
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def bar_chart_text(rows: list[tuple[str, float]], *, width: int = 40, label_width: int = 18,
                   positive: str = "", negative: str = "") -> Text:
    """One line per row; negative values (promotions cost more than they saved) get `-` and `░`."""
    text = Text()
    if not rows:
        return Text("no priced savings yet")
    peak = max(abs(v) for _, v in rows) or 1.0
    for i, (label, value) in enumerate(rows):
        if i:
            text.append("\n")
        name = text_or_dash(label, label_width)
        text.append(f"{name:<{label_width}} ")
        drawn = bar(abs(value), peak, width)
        if value < 0:
            drawn = drawn.replace("█", "░")
        text.append(f"{drawn:<{width}}", style=negative if value < 0 else positive)
        text.append(f" {fmt_money(value):>10}")
    return text


class BarChart(Static):
    """Shows `bar_chart_text` sized to the widget's width."""

    DEFAULT_CSS = "BarChart { height: auto; max-height: 12; padding: 0 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[tuple[str, float]] = []

    def show(self, rows: list[tuple[str, float]]) -> None:
        self.rows = rows
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        width = max(10, (self.size.width or 80) - 2 - 24 - 12)
        pal = self.app.palette
        self.update(bar_chart_text(self.rows, width=width, label_width=24, positive=pal.ok,
                                   negative=pal.failed))
