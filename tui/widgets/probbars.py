"""A bar per class probability."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

MOST = 6  # classes shown as bars in the Predict pane; the likeliest when there are more


def bars(probabilities: dict[str, float], width: int = 30, best: str | None = None) -> Text:
    """Text with one line per class: name, a bar of `width` cells, the probability."""
    text = Text()
    if not probabilities:
        return text
    name_width = max(len(name) for name in probabilities)
    for i, (name, p) in enumerate(probabilities.items()):
        p = min(1.0, max(0.0, float(p)))
        filled = round(p * width)
        style = "bold green" if name == best else "cyan"
        if i:
            text.append("\n")
        text.append(f"{name:<{name_width}} ", style="bold" if name == best else "")
        text.append("█" * filled, style=style)
        text.append("░" * (width - filled), style="dim")
        text.append(f" {p:6.3f}")
    return text


class ProbabilityBars(Static):
    """Shows a prediction's class probabilities as bars; the winner in bold."""

    DEFAULT_CSS = """
    ProbabilityBars { height: auto; }
    """

    def show(self, probabilities: dict[str, float], label: str | None = None) -> None:
        """The bars on one line each, sized to the widget; of many classes (more than
        MOST), the MOST likeliest, then how many more there are."""
        shown = probabilities
        if len(probabilities) > MOST:
            top = sorted(probabilities, key=lambda k: -probabilities[k])[:MOST]
            shown = {k: probabilities[k] for k in top}
        name_width = max((len(n) for n in shown), default=0)
        width = max(10, min(50, self.size.width - name_width - 8 if self.size.width else 30))
        text = bars(shown, width, label)
        if len(shown) < len(probabilities):
            text.append(f"\n… {len(probabilities) - len(shown)} more classes (the likeliest shown)", style="dim")
        self.update(text)
