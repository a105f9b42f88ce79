"""``feeds queue``: inspect, requeue and purge Dramatiq messages."""

import argparse
import uuid
from typing import TYPE_CHECKING

from feeds.settings import get_settings

if TYPE_CHECKING:
    from feeds import queue_admin

DEFAULT_FAILED_LIMIT = 20


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``feeds queue`` and its subcommands on the main parser."""
    queue = commands.add_parser(
        "queue", help="inspect, requeue and purge Dramatiq messages"
    )
    actions = queue.add_subparsers(required=True, metavar="ACTION")

    summary = actions.add_parser(
        "summary", help="message counts, queue and schedule lag, schedule rows"
    )
    summary.set_defaults(run=_summary)

    failed = actions.add_parser("failed", help="list rejected (failed) messages")
    failed.add_argument(
        "--limit",
        type=_positive_int,
        default=DEFAULT_FAILED_LIMIT,
        help=f"messages listed, newest first (default {DEFAULT_FAILED_LIMIT})",
    )
    failed.set_defaults(run=_failed)

    requeue = actions.add_parser(
        "requeue",
        help="put rejected messages back in their queue",
        description="Put rejected messages back in their queue. A message whose "
        "feed has moved on to a newer schedule token would be dropped by the "
        "worker, so its feed gets a manual refresh instead (cancelled and "
        "deleted feeds are left alone).",
    )
    selection = requeue.add_mutually_exclusive_group(required=True)
    selection.add_argument("--all", action="store_true", help="every rejected message")
    selection.add_argument(
        "message_ids",
        nargs="*",
        type=uuid.UUID,
        default=[],
        metavar="MESSAGE_ID",
        help="id of a rejected message, as listed by feeds queue failed",
    )
    requeue.set_defaults(run=_requeue)

    purge = actions.add_parser(
        "purge", help="delete done and rejected messages older than some days"
    )
    purge.add_argument(
        "--older-than",
        type=_non_negative_int,
        required=True,
        metavar="DAYS",
        help="age in days since the message last changed state",
    )
    purge.set_defaults(run=_purge)


def _summary(args: argparse.Namespace) -> None:
    from feeds import queue_admin

    with _connect() as conn:
        summary = queue_admin.read_summary(conn)
    print(_render_summary(summary))


def _render_summary(summary: "queue_admin.QueueSummary") -> str:
    messages = _section(
        "Messages by queue and state",
        ["queue", "state", "messages", "oldest change"],
        [
            (r["queue_name"], r["state"], r["messages"], r["oldest_mtime"])
            for r in summary.messages
        ],
    )
    waiting = _section(
        "Oldest waiting message per queue",
        ["queue", "message_id", "age (s)"],
        [
            (r["queue_name"], r["message_id"], r["age_seconds"])
            for r in summary.oldest_waiting
        ],
    )
    lag = summary.schedule_lag
    schedule = (
        f"Due feeds: {lag['due_feeds']}\n"
        f"Schedule lag: {lag['lag_seconds']:.1f} s\n"
        f"Failed messages: {summary.failed}"
    )
    states = _section(
        "Schedule rows by state and priority",
        ["state", "priority", "feeds", "earliest next run"],
        [
            (r["state"], r["priority_label"], r["feeds"], r["earliest_next_run_at"])
            for r in summary.schedule_states
        ],
    )
    return "\n\n".join([messages, waiting, schedule, states])


def _section(title: str, headers: list[str], rows: list[tuple]) -> str:
    from feeds.text_table import format_table

    if not rows:
        return f"{title}\n(none)"
    return f"{title}\n{format_table(headers, rows)}"


def _failed(args: argparse.Namespace) -> None:
    from feeds import queue_admin
    from feeds.text_table import format_table

    with _connect() as conn:
        rows = queue_admin.list_failed(conn, limit=args.limit)
    if not rows:
        print("no failed messages")
        return

    table = [
        (
            r["message_id"],
            r["feed_id"],
            r["actor_name"],
            r["retries"],
            r["failed_at"],
            _first_line(r["error"]),
        )
        for r in rows
    ]
    headers = ["message_id", "feed_id", "actor", "retries", "failed at", "error"]
    print(format_table(headers, table))


def _first_line(text: str | None) -> str | None:
    if not text:
        return None
    return text.strip().splitlines()[0]


def _requeue(args: argparse.Namespace) -> None:
    from feeds import queue_admin

    with _connect() as conn:
        results = queue_admin.requeue(conn, None if args.all else args.message_ids)

    for result in results:
        feed = f"  feed {result.feed_id}" if result.feed_id else ""
        print(f"{result.message_id}  {result.outcome.value}{feed}")
    requeued = [r for r in results if r.outcome is not queue_admin.Outcome.NOT_FOUND]
    print(f"requeued {len(requeued)} message(s)")

    missing = len(results) - len(requeued)
    if missing:
        raise SystemExit(
            f"feeds queue requeue: {missing} id(s) match no rejected message; "
            "feeds queue failed lists the rejected ones"
        )


def _purge(args: argparse.Namespace) -> None:
    from feeds import queue_admin

    with _connect() as conn:
        deleted = queue_admin.purge(conn, older_than_days=args.older_than)
    print(f"deleted {deleted} message(s) older than {args.older_than} day(s)")


def _connect():
    from feeds.db import connect

    settings = get_settings()
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set (a libpq URL of PostgreSQL)")
    return connect(settings)


def _positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
