"""A description of the machine a benchmark ran on."""

import os
import platform
import subprocess

import psutil


def describe() -> dict[str, str]:
    return {
        "cores (nproc)": str(os.cpu_count()),
        "CPU model": _cpu_model(),
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "Python": platform.python_version(),
        "kernel": platform.release(),
    }


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages as one string."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def git_commit(repo: str) -> str:
    """Return the checked-out commit, marked when the work tree has changes."""
    try:
        commit = _git(repo, "rev-parse", "--short", "HEAD").strip()
        status = _git(repo, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} with local changes" if status.strip() else commit


def _git(repo: str, *args: str) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    )
    return completed.stdout


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
