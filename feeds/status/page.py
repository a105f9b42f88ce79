"""The status page as one HTML document with inline CSS and no scripts.

Every value from the database passes through ``html.escape``, because feed
URLs and error codes are stored as users and remote servers sent them.
"""

from datetime import UTC, datetime
from html import escape

from feeds.status.chart import FAILED_COLOR, SUCCESS_COLOR, render_chart
from feeds.status.report import CHART_MINUTES, Failure, StatusReport

STYLE = f"""
body {{ font: 14px/1.45 system-ui, sans-serif; color: #1f2328; background: #f6f8fa;
       margin: 0; padding: 24px; }}
main {{ max-width: 1000px; margin: 0 auto; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }}
h2 {{ font-size: 16px; margin: 0 0 8px; }}
section {{ background: #fff; border: 1px solid #d0d7de; border-radius: 6px;
          padding: 12px 16px; margin: 0 0 16px; }}
.cards {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px;
         margin: 0 0 16px; }}
.cards section {{ margin: 0; }}
.meta {{ color: #57606a; margin: 0 0 16px; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid #eaeef2;
         vertical-align: top; }}
td.count {{ text-align: right; font-variant-numeric: tabular-nums; }}
.lag {{ font-size: 28px; font-weight: 600; }}
.legend span {{ display: inline-block; width: 10px; height: 10px;
                 margin: 0 4px 0 12px; }}
.legend .success {{ background: {SUCCESS_COLOR}; }}
.legend .failed {{ background: {FAILED_COLOR}; }}
td.url {{ word-break: break-all; }}
td.feed-id, td.started-at, td.error-code {{ white-space: nowrap; }}
code {{ font-size: 12px; }}
"""


def render_page(report: StatusReport) -> str:
    """Render the whole page for one report."""
    body = "\n".join(
        [
            "<h1>feeds status</h1>",
            f'<p class="meta">Generated at {_time(report.generated_at)}.</p>',
            '<div class="cards">',
            _count_table(
                "queue-states", "Dramatiq queue", "messages", report.queue_states
            ),
            _count_table(
                "schedule-states", "Schedule", "feeds", report.schedule_states
            ),
            _lag(report),
            "</div>",
            _refreshes(report),
            _count_table(
                "fetch-statuses", "Feeds by last fetch", "feeds", report.fetch_statuses
            ),
            _failures(report.failures),
        ]
    )
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>feeds status</title>\n"
        f"<style>{STYLE}</style>\n"
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _count_table(
    section_id: str, heading: str, unit: str, counts: dict[str, int]
) -> str:
    rows = "".join(
        f'<tr><td>{escape(state)}</td><td class="count" data-state="{escape(state)}">'
        f"{count}</td></tr>"
        for state, count in counts.items()
    )
    return (
        f'<section id="{section_id}"><h2>{escape(heading)}</h2>'
        f"<table><tr><th>state</th><th>{escape(unit)}</th></tr>{rows}</table>"
        "</section>"
    )


def _lag(report: StatusReport) -> str:
    seconds = report.schedule_lag_seconds
    return (
        '<section id="schedule-lag"><h2>Schedule lag</h2>'
        f'<div class="lag" id="lag-seconds" data-seconds="{seconds:.1f}">'
        f"{escape(_duration(seconds))}</div>"
        f"<p>The oldest due scheduled feed is this late. Due feeds: "
        f'<span id="due-feeds" data-count="{report.due_feeds}">{report.due_feeds}'
        "</span>.</p></section>"
    )


def _duration(seconds: float) -> str:
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def _refreshes(report: StatusReport) -> str:
    success = sum(bucket.success for bucket in report.refreshes)
    failed = sum(bucket.failed for bucket in report.refreshes)
    return (
        '<section id="refreshes">'
        f"<h2>Refreshes per minute, last {CHART_MINUTES} minutes (UTC)</h2>"
        '<p class="legend">'
        f'<span class="success"></span>succeeded: <b id="total-success" '
        f'data-count="{success}">{success}</b>'
        f'<span class="failed"></span>failed: <b id="total-failed" '
        f'data-count="{failed}">{failed}</b></p>'
        f"{render_chart(report.refreshes)}</section>"
    )


def _failures(failures: list[Failure]) -> str:
    if failures:
        rows = "".join(_failure_row(failure) for failure in failures)
    else:
        rows = '<tr><td colspan="4">No failed refreshes.</td></tr>'
    return (
        '<section id="recent-failures"><h2>Recent failures</h2>'
        "<table><tr><th>feed id</th><th>URL</th><th>error code</th><th>started</th>"
        f"</tr>{rows}</table></section>"
    )


def _failure_row(failure: Failure) -> str:
    feed_id = escape(str(failure.feed_id))
    error_code = escape(failure.error_code or "")
    return (
        f'<tr class="failure" data-feed-id="{feed_id}">'
        f'<td class="feed-id"><code>{feed_id}</code></td>'
        f'<td class="url">{escape(failure.url)}</td>'
        f'<td class="error-code">{error_code}</td>'
        f'<td class="started-at">{_time(failure.started_at)}</td></tr>'
    )


def _time(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return (
        f'<time datetime="{escape(utc.isoformat())}">{utc:%Y-%m-%d %H:%M:%S} UTC</time>'
    )
