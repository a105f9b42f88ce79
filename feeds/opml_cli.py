"""``feeds import``: subscribe a user to the feeds of an OPML file."""

import argparse
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.settings import get_settings

if TYPE_CHECKING:
    from feeds.opml import Outline
    from feeds.opml_import import ImportResult

# Smaller files import in well under a second, so they get no progress bar.
PROGRESS_MIN_OUTLINES = 100


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``feeds import`` on the main parser."""
    command = commands.add_parser(
        "import",
        help="subscribe a user to the feeds of an OPML file",
        description="Subscribe a user to every feed of an OPML 1.0 or 2.0 file in "
        "one transaction, with the same rules as POST /api/opml.",
    )
    command.add_argument("file", type=Path, metavar="FILE", help="OPML file to import")
    command.add_argument(
        "--user",
        type=uuid.UUID,
        required=True,
        metavar="USER_ID",
        help="the user's UUID",
    )
    command.set_defaults(run=_import)


def _import(args: argparse.Namespace) -> None:
    from feeds import opml

    try:
        document = args.file.read_bytes()
    except OSError as error:
        raise SystemExit(f"feeds import: cannot read {args.file}: {error}") from None
    try:
        outlines = opml.parse_outlines(document)
    except opml.OpmlError as error:
        raise SystemExit(f"feeds import: {args.file}: {error}") from None

    result = _import_outlines(args.user, outlines)
    for entry in result.entries:
        if entry.status != "created":
            print(f"line {entry.line}: {entry.status}: {entry.url} ({entry.reason})")
    print(
        f"created {result.count('created')}, skipped {result.count('skipped')}, "
        f"invalid {result.count('invalid')}"
    )


def _import_outlines(user_id: uuid.UUID, outlines: list["Outline"]) -> "ImportResult":
    from tqdm import tqdm

    from feeds.db import connect
    from feeds.opml_import import import_outlines

    settings = get_settings()
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set (a libpq URL of PostgreSQL)")

    # disable=None turns the bar off when stderr is not a terminal.
    small = len(outlines) < PROGRESS_MIN_OUTLINES
    with (
        tqdm(
            total=len(outlines),
            file=sys.stderr,
            unit="outline",
            desc="importing",
            disable=True if small else None,
        ) as bar,
        connect(settings) as conn,
    ):
        return import_outlines(
            conn, user_id, outlines, on_entry=lambda entry: bar.update()
        )
