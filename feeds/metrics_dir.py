"""Temporary metrics directories of ``feeds api`` and ``feeds worker``.

The commands create one when PROMETHEUS_MULTIPROC_DIR is unset. Both exec
gunicorn or Dramatiq, which keeps their process id, so the directory records
that id in ``owner.pid``. gunicorn's master removes its own directory on
exit. Dramatiq has no such hook, so before a new directory is created, the
earlier ones whose owner process is gone are removed.
"""

import os
import shutil
import tempfile
from pathlib import Path

from feeds.metrics import MULTIPROCESS_DIR_VARIABLE, multiprocess_dir

OWNER_FILE = "owner.pid"


def ensure_multiprocess_dir(prefix: str) -> str:
    """Create PROMETHEUS_MULTIPROC_DIR, or a fresh temporary one when it is unset.

    The variable is set in this process's environment, so the programs it
    starts inherit it. A directory the operator names is used as it is, and
    the operator empties it between runs, as prometheus_client requires.
    """
    path = multiprocess_dir()
    if path is not None:
        os.makedirs(path, exist_ok=True)
        return path

    remove_abandoned_dirs(prefix)
    path = tempfile.mkdtemp(prefix=prefix)
    Path(path, OWNER_FILE).write_text(str(os.getpid()))
    os.environ[MULTIPROCESS_DIR_VARIABLE] = path
    return path


def remove_own_dir() -> None:
    """Remove PROMETHEUS_MULTIPROC_DIR if this process created it."""
    path = multiprocess_dir()
    if path is not None and _owner_pid(Path(path)) == os.getpid():
        shutil.rmtree(path, ignore_errors=True)


def remove_abandoned_dirs(prefix: str) -> None:
    """Remove temporary directories named ``prefix*`` whose owner has exited.

    Directories without an owner file are left alone. A reused process id
    keeps a directory until that process exits too.
    """
    for path in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        owner = _owner_pid(path)
        if owner is not None and not _process_exists(owner):
            shutil.rmtree(path, ignore_errors=True)


def _owner_pid(path: Path) -> int | None:
    try:
        return int((path / OWNER_FILE).read_text())
    except (OSError, ValueError):
        return None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
