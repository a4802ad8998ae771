"""An append-only record of every action uvcache-tui ran, for the user to look back at.

Each action writes a `started` line before uv runs and a final line (`done`, `failed`,
`interrupted`) whatever happens after, so a killed run still leaves a trace.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import platformdirs


@dataclass(frozen=True)
class AuditRecord:
    time: str
    cache: str
    command: str
    predicted_bytes: int
    freed_bytes: int | None
    uv_exit_code: int | None
    status: str = "done"
    """`started`, `done`, `failed` or `interrupted`."""
    removed_paths: int | None = None
    """How many paths disappeared (every file, dir, link or special file)."""
    removed: tuple[str, ...] = ()
    """The outermost removed paths (a dir stands for its contents), at most 200."""
    unpredicted: tuple[str, ...] = ()


def audit_log_path(env: Mapping[str, str] | None = None) -> str:
    """`<user state dir>/uvcache-tui/audit.log`; `UVCACHE_TUI_STATE_DIR` overrides the dir."""
    env = os.environ if env is None else env
    base = env.get("UVCACHE_TUI_STATE_DIR") or platformdirs.user_state_dir("uvcache-tui")
    return os.path.join(base, "audit.log")


def append_audit(record: AuditRecord, env: Mapping[str, str] | None = None) -> str:
    """One JSON object per line, flushed to disk; returns the log's path.

    Raises OSError when the log cannot be written; callers report it and go on.
    """
    path = audit_log_path(env)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    line = json.dumps(asdict(record), sort_keys=True, ensure_ascii=True) + "\n"
    with open(path, "a", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
