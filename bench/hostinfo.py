"""What a benchmark ran on: shared by the scripts in bench/ (each prints it with its figures)."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or "unknown CPU" where there is none."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def summary(*extra: str) -> str:
    """One line: CPUs and model, Python, the system, then `extra` parts (SQLite, load...)."""
    parts = [
        f"{os.cpu_count()} CPUs ({cpu_model()})",
        f"Python {platform.python_version()}",
        *extra,
        f"{platform.system()} {platform.release()}",
    ]
    return ", ".join(parts)
