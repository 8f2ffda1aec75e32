"""Sparklines: a group's records per hour or per day, drawn as a small inline SVG."""

from dataclasses import dataclass


@dataclass
class Sparkline:
    """The bars of one sparkline in a ``width`` x ``height`` box, and what they add up to."""

    bars: list
    width: int
    height: int
    total: int
    peak: int
    title: str


def sparkline(counts, *, width=120, height=24, title=""):
    """
    Return a `Sparkline` of ``counts`` (oldest first): one bar per period.

    A period with records gets at least a one-unit bar, so a single record
    among thousands still shows.
    """
    peak = max(counts, default=0)
    slot = width / max(len(counts), 1)
    bars = []
    for position, records in enumerate(counts):
        if records:
            tall = max(height * records / peak, 1)
            bars.append(
                {
                    "x": round(position * slot, 2),
                    "y": round(height - tall, 2),
                    "width": round(max(slot * 0.8, 0.5), 2),
                    "height": round(tall, 2),
                }
            )
    total = sum(counts)
    return Sparkline(
        bars=bars,
        width=width,
        height=height,
        total=total,
        peak=peak,
        title=f"{title}: {total:,} record{'s' if total != 1 else ''}, at most {peak:,} in one",
    )
