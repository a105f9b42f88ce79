"""The refreshes-per-minute bar chart of the status page, as inline SVG.

Each minute is a stacked bar: successes at the bottom, failures above them.
Coordinates are whole pixels and the bars use crispEdges, so their colors
render exactly.
"""

import math
from datetime import UTC
from html import escape

from feeds.status.report import MinuteBucket

SUCCESS_COLOR = "#2e7d32"
FAILED_COLOR = "#c62828"

WIDTH = 960
HEIGHT = 240
PLOT_LEFT = 44
PLOT_TOP = 12
PLOT_HEIGHT = 200
SLOT_WIDTH = 15
BAR_WIDTH = 11
LABEL_EVERY_MINUTES = 10


def render_chart(buckets: list[MinuteBucket]) -> str:
    """Render one bar per bucket, oldest on the left, with a y axis and legend."""
    top = _axis_top(max((b.success + b.failed for b in buckets), default=0))
    parts = [
        f'<svg id="refresh-chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="refresh-chart-title" '
        f'data-axis-max="{top}" data-buckets="{len(buckets)}">',
        '<title id="refresh-chart-title">Refreshes per minute, last hour</title>',
        *_grid(top),
        *(_bar(index, bucket, top) for index, bucket in enumerate(buckets)),
        *_minute_labels(buckets),
        "</svg>",
    ]
    return "\n".join(parts)


def _axis_top(largest: int) -> int:
    """Return the y axis maximum: a multiple of a 1, 2 or 5 step, at least 1."""
    if largest <= 0:
        return 1
    raw_step = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw_step)) if raw_step >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    return step * math.ceil(largest / step)


def _grid(top: int) -> list[str]:
    # A middle line only where it falls on a whole number of refreshes.
    values = (0, top // 2, top) if top % 2 == 0 else (0, top)
    lines = []
    for value in values:
        y = PLOT_TOP + PLOT_HEIGHT - round(value / top * PLOT_HEIGHT)
        label = str(value)
        lines.append(
            f'<line x1="{PLOT_LEFT}" y1="{y}" x2="{WIDTH - 8}" y2="{y}" '
            f'stroke="#d0d4da" stroke-width="1" shape-rendering="crispEdges"/>'
        )
        lines.append(
            f'<text x="{PLOT_LEFT - 6}" y="{y + 4}" text-anchor="end" '
            f'font-size="11" fill="#555">{escape(label)}</text>'
        )
    return lines


def _bar(index: int, bucket: MinuteBucket, top: int) -> str:
    x = PLOT_LEFT + index * SLOT_WIDTH + (SLOT_WIDTH - BAR_WIDTH) // 2
    base = PLOT_TOP + PLOT_HEIGHT
    success_height = _bar_height(bucket.success, top)
    failed_height = _bar_height(bucket.failed, top)
    minute = bucket.start.astimezone(UTC)
    tooltip = f"{minute:%H:%M} UTC: {bucket.success} succeeded, {bucket.failed} failed"
    return (
        f'<g class="bucket" data-minute="{escape(minute.isoformat())}" '
        f'data-success="{bucket.success}" data-failed="{bucket.failed}">'
        f"<title>{escape(tooltip)}</title>"
        f'<rect class="success" x="{x}" y="{base - success_height}" '
        f'width="{BAR_WIDTH}" height="{success_height}" fill="{SUCCESS_COLOR}" '
        f'shape-rendering="crispEdges"/>'
        f'<rect class="failed" x="{x}" y="{base - success_height - failed_height}" '
        f'width="{BAR_WIDTH}" height="{failed_height}" fill="{FAILED_COLOR}" '
        f'shape-rendering="crispEdges"/>'
        "</g>"
    )


def _bar_height(count: int, top: int) -> int:
    """Scale a count to whole pixels, giving any nonzero count at least 1 pixel."""
    if count <= 0:
        return 0
    return max(1, round(count / top * PLOT_HEIGHT))


def _minute_labels(buckets: list[MinuteBucket]) -> list[str]:
    labels = []
    for index, bucket in enumerate(buckets):
        minute = bucket.start.astimezone(UTC)
        if minute.minute % LABEL_EVERY_MINUTES != 0:
            continue
        x = PLOT_LEFT + index * SLOT_WIDTH + SLOT_WIDTH // 2
        labels.append(
            f'<text x="{x}" y="{HEIGHT - 8}" text-anchor="middle" '
            f'font-size="11" fill="#555">{minute:%H:%M}</text>'
        )
    return labels
