"""A description of the machine a benchmark ran on."""

import os
import platform

import psutil


def describe() -> dict[str, str]:
    return {
        "cores (nproc)": str(os.cpu_count()),
        "CPU model": _cpu_model(),
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "load average at start (1, 5, 15 min)": " ".join(
            f"{value:.2f}" for value in os.getloadavg()
        ),
        "Python": platform.python_version(),
        "kernel": platform.release(),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
