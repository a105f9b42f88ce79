"""Figures that the security tests print in pytest's closing summary."""

import pytest

LINES = pytest.StashKey[list[str]]()


def report_line(config: pytest.Config, line: str) -> None:
    """Queue a line for the terminal summary, which pytest never captures."""
    config.stash.setdefault(LINES, []).append(line)


def summary_lines(config: pytest.Config) -> list[str]:
    return config.stash.get(LINES, [])
