"""Plain-text tables for command line output."""

from collections.abc import Sequence
from datetime import UTC, datetime
from numbers import Number


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render rows under headers in aligned columns, with numbers aligned right.

    None renders as "-", datetimes as UTC ISO 8601 to the second and floats
    with one decimal.
    """
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        widths = [
            max(width, len(cell)) for width, cell in zip(widths, row, strict=True)
        ]

    right = [_is_numeric_column(rows, index) for index in range(len(headers))]
    lines = [_line(headers, widths, right)]
    lines.append(_line(["-" * width for width in widths], widths, right))
    lines.extend(_line(row, widths, right) for row in cells)
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _is_numeric_column(rows: Sequence[Sequence[object]], index: int) -> bool:
    values = [row[index] for row in rows if row[index] is not None]
    return bool(values) and all(
        isinstance(value, Number) and not isinstance(value, bool) for value in values
    )


def _line(cells: Sequence[str], widths: list[int], right: list[bool]) -> str:
    padded = [
        cell.rjust(width) if align_right else cell.ljust(width)
        for cell, width, align_right in zip(cells, widths, right, strict=True)
    ]
    return "  ".join(padded).rstrip()
