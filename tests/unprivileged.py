"""Helpers for tests that run code as an unprivileged user (`setpriv --reuid=nobody`)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def open_for_others(path: Path) -> None:
    """Give others r-x on `path` and every parent: a checkout made by `mktemp -d` is 0700,
    and `nobody` must reach the project's code and venv to import it."""
    for directory in [path, *path.parents]:
        mode = os.stat(directory).st_mode
        if mode & 0o005 != 0o005:
            os.chmod(directory, mode | 0o005)
