"""Small readers of what a figure shows."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.text import Text


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def gids(fig: Figure) -> list[str]:
    return [a.get_gid() for a in fig.findobj() if a.get_gid()]


def rendered(fig: Figure) -> None:
    """Draw it (to a PNG in memory): layout and clipping code runs, nothing raises."""
    import io

    fig.savefig(io.BytesIO(), format="png")
