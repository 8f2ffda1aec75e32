"""Server-rendered bar charts of records per period and level (drawn by an SVG template)."""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from . import levels

WIDTH = 720
HEIGHT = 180


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    url: str
    title: str


@dataclass
class Chart:
    title: str
    periods: list
    bars: list
    labels: list
    levels: list
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT


def hourly_periods(now, hours=24):
    """Return the (start, end) of each of the last ``hours`` hours, this one included."""
    current = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    first = current - datetime.timedelta(hours=hours - 1)
    return [
        (first + datetime.timedelta(hours=n), first + datetime.timedelta(hours=n + 1))
        for n in range(hours)
    ]


def daily_periods(now, days=30):
    """Return the (start, end) of each of the last ``days`` days, today included."""
    today = timezone.localdate(now)
    midnights = [
        timezone.make_aware(
            datetime.datetime.combine(today - datetime.timedelta(days=n), datetime.time())
        )
        for n in range(days - 1, -2, -1)
    ]
    return list(zip(midnights[:-1], midnights[1:], strict=True))


def admin_list_url(*, start, end, levelno=None, application=None):
    """Return the admin list of log messages filtered to one period (and level, application)."""
    params = {"created__gte": start.isoformat(), "created__lt": end.isoformat()}
    if levelno is not None:
        params["levelno"] = levelno
    if application is not None:
        params["application__id__exact"] = application.pk
    return f"{reverse('admin:remotelog_logmessage_changelist')}?{urlencode(params)}"


def level_chart(*, title, periods, counts, label_format, label_every, application=None):
    """
    Return a stacked bar chart: one column per period, one segment per level.

    ``counts`` maps (period start, levelno) to records. Each segment links to the
    admin list filtered to its period and level.
    """
    present = sorted({levelno for _, levelno in counts})
    totals = [sum(counts.get((start, lv), 0) for lv in present) for start, _ in periods]
    peak = max(totals, default=0)
    slot = WIDTH / len(periods)
    bars, labels = [], []
    for index, (start, end) in enumerate(periods):
        top = HEIGHT
        for levelno in present:
            records = counts.get((start, levelno), 0)
            if records:
                height = max(HEIGHT * records / peak, 1.5)
                top -= height
                bars.append(
                    Bar(
                        x=round(index * slot + slot * 0.1, 1),
                        y=round(top, 1),
                        width=round(slot * 0.8, 1),
                        height=round(height, 1),
                        colour=levels.colour(levelno),
                        url=admin_list_url(
                            start=start, end=end, levelno=levelno, application=application
                        ),
                        title=f"{start.strftime(label_format)} {levels.name(levelno)}: {records}",
                    )
                )
        if index % label_every == 0:
            labels.append(
                {"x": round((index + 0.5) * slot, 1), "text": start.strftime(label_format)}
            )
    return Chart(
        title=title,
        periods=_table_rows(periods, totals, present, counts, application),
        bars=bars,
        labels=labels,
        levels=[
            {"number": lv, "name": levels.name(lv), "colour": levels.colour(lv)} for lv in present
        ],
        peak=peak,
        total=sum(totals),
    )


def _table_rows(periods, totals, levels, counts, application):
    """Return the chart's figures as table rows: the same numbers, for screen readers too."""
    return [
        {
            "start": start,
            "url": admin_list_url(start=start, end=end, application=application),
            "counts": [counts.get((start, lv), 0) for lv in levels],
            "total": total,
        }
        for (start, end), total in zip(periods, totals, strict=True)
    ]
