"""An append-only record of every action uvcache-tui ran, for the user to look back at."""

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


def audit_log_path(env: Mapping[str, str] | None = None) -> str:
    """`<user state dir>/uvcache-tui/audit.log`; `UVCACHE_TUI_STATE_DIR` overrides the dir."""
    env = os.environ if env is None else env
    base = env.get("UVCACHE_TUI_STATE_DIR") or platformdirs.user_state_dir("uvcache-tui")
    return os.path.join(base, "audit.log")


def append_audit(record: AuditRecord, env: Mapping[str, str] | None = None) -> str:
    """One JSON object per line; returns the log's path."""
    path = audit_log_path(env)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(record), sort_keys=True) + "\n")
    return path


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
