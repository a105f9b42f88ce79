"""Temporary metrics directories of ``feeds api`` and ``feeds worker``."""

import os
import subprocess
import sys
import tempfile

import pytest

from feeds import metrics_dir
from feeds.metrics import MULTIPROCESS_DIR_VARIABLE

PREFIX = "feeds-worker-metrics-"


@pytest.fixture
def temp_root(tmp_path, monkeypatch):
    """A private temporary directory and no PROMETHEUS_MULTIPROC_DIR."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # setenv first, so the variable is removed again after the test.
    monkeypatch.setenv(MULTIPROCESS_DIR_VARIABLE, "unset")
    monkeypatch.delenv(MULTIPROCESS_DIR_VARIABLE)
    return tmp_path


def exited_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def owned_dir(root, name: str, pid: int | None):
    path = root / f"{PREFIX}{name}"
    path.mkdir()
    (path / "counter_1.db").write_bytes(b"")
    if pid is not None:
        (path / metrics_dir.OWNER_FILE).write_text(str(pid))
    return path


def test_new_dir_records_owner(temp_root):
    path = metrics_dir.ensure_multiprocess_dir(PREFIX)

    assert os.environ[MULTIPROCESS_DIR_VARIABLE] == path
    assert path.startswith(str(temp_root / PREFIX))
    owner = (temp_root / path / metrics_dir.OWNER_FILE).read_text()
    assert owner == str(os.getpid())


def test_abandoned_dirs_removed(temp_root):
    abandoned = owned_dir(temp_root, "abandoned", exited_pid())
    running = owned_dir(temp_root, "running", os.getpid())
    unowned = owned_dir(temp_root, "unowned", None)

    created = metrics_dir.ensure_multiprocess_dir(PREFIX)

    assert not abandoned.exists()
    assert running.exists()
    assert unowned.exists()
    assert os.path.isdir(created)


def test_operator_dir_kept(temp_root, monkeypatch):
    chosen = temp_root / "chosen" / "metrics"
    monkeypatch.setenv(MULTIPROCESS_DIR_VARIABLE, str(chosen))

    path = metrics_dir.ensure_multiprocess_dir(PREFIX)
    metrics_dir.remove_own_dir()

    assert path == str(chosen)
    assert chosen.is_dir()
    assert not (chosen / metrics_dir.OWNER_FILE).exists()


def test_remove_own_dir(temp_root):
    path = metrics_dir.ensure_multiprocess_dir(PREFIX)

    metrics_dir.remove_own_dir()

    assert not os.path.exists(path)
