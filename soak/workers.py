"""Worker groups: each one is a ``feeds worker`` process group of its own."""

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_TIMEOUT_SECONDS = 30
PR_SET_PDEATHSIG = 1


class WorkerGroup:
    """One ``feeds worker --processes P --threads T`` in its own session."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        log_dir: Path,
        *,
        processes: int,
        threads: int,
    ) -> None:
        self.name = name
        self._env = env
        self._log_path = log_dir / f"worker-{name}.log"
        self._command = [
            sys.executable,
            "-m",
            "feeds",
            "worker",
            "--processes",
            str(processes),
            "--threads",
            str(threads),
        ]
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._command,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash or an OOM kill would."""
        os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()
        _wait_until_group_gone(self._process.pid)

    def stop(self) -> None:
        """Stop gracefully; SIGKILL what is left after STOP_TIMEOUT_SECONDS."""
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()
        _wait_until_group_gone(self._process.pid)

    def log_tail(self, size: int = 4000) -> str:
        text = self._log_path.read_text(errors="replace")
        return text[-size:]


def _die_with_parent() -> None:
    """Have the kernel kill the worker's main process if the soak dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _wait_until_group_gone(group: int, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass
