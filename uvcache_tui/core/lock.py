"""uv's cache lock (`<cache>/.lock`): probe it without ever holding it longer than the probe."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


MAX_LOCK_TIMEOUT = 86400
"""The longest wait for the cache lock accepted (seconds): a day, far below what timers take."""


class LockState(str, Enum):
    FREE = "free"
    HELD = "held"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LockProbe:
    state: LockState
    holders: tuple[int, ...] = ()
    """PIDs holding a lock on the file, from /proc/locks (Linux) when they can be found."""
    detail: str = ""
    programs: tuple[str | None, ...] = ()
    """The program name of each holder (`uv`, `python3`), None where it could not be read."""

    @property
    def held_by_our_parent(self) -> bool:
        """True when only uvcache-tui itself or processes that started it hold the lock.

        `uv run uvcache-tui` and `uvx uvcache-tui` keep a shared lock on the cache until we
        exit; that uv only waits for us, so waiting for it can never succeed, and forcing
        past it is safe (nothing is using the cache).
        """
        if self.state is not LockState.HELD or not self.holders:
            return False
        return set(self.holders) <= ancestor_pids() | {os.getpid()}

    @property
    def description(self) -> str:
        """A flat phrase: `held by pid 123 (uv)`, `free`, `unknown (…)`. It has parentheses
        of its own: a sentence puts it after a comma or a colon, never inside parentheses."""
        if self.state is LockState.HELD:
            return f"held by {self.holders_text}"
        if self.state is LockState.UNKNOWN:
            return f"unknown ({self.detail})" if self.detail else "unknown"
        return str(self.state.value)

    @property
    def holders_text(self) -> str:
        """`pid 123 (uv), pid 456 (python3)`, or `another process` when none could be found."""
        parts: list[str] = []
        for index, pid in enumerate(self.holders):
            program = self.programs[index] if index < len(self.programs) else None
            parts.append(f"pid {pid} ({program})" if program else f"pid {pid}")
        return ", ".join(parts) or "another process"

    @property
    def held_by_uv(self) -> bool:
        """True when holders were found and every one is a program named `uv` (uv, `uv run`)."""
        if self.state is not LockState.HELD or not self.holders:
            return False
        names = self.programs[: len(self.holders)]
        return len(names) == len(self.holders) and all(name == "uv" for name in names)


def process_name(pid: int, proc: str = "/proc") -> str | None:
    """The program a process runs (`uv`, `python3`), from /proc/PID/comm, else None."""
    try:
        with open(f"{proc}/{pid}/comm", encoding="utf-8", errors="replace") as handle:
            name = handle.read().strip()
    except OSError:
        return None
    name = "".join(char if char.isprintable() else "?" for char in name)
    return name or None


def ancestor_pids(pid: int | None = None, proc: str = "/proc") -> set[int]:
    """This process's parents up to init (Linux /proc), e.g. the `uv run` that started us."""
    ancestors: set[int] = set()
    current = os.getpid() if pid is None else pid
    while current > 1 and current not in ancestors:
        try:
            with open(f"{proc}/{current}/status", encoding="ascii", errors="replace") as handle:
                ppid = next(
                    (int(line.split()[1]) for line in handle if line.startswith("PPid:")), 0
                )
        except (OSError, ValueError):
            break
        if current != (os.getpid() if pid is None else pid):
            ancestors.add(current)
        current = ppid
    return ancestors


def lock_holders(path: str, proc_locks: str = "/proc/locks") -> tuple[int, ...]:
    """PIDs with a flock on `path`, read from /proc/locks (`1: FLOCK ADVISORY READ 123 08:01:42 0 EOF`).

    A lock is on `path` when both its device (major:minor, in hex) and its inode match: inode
    numbers repeat from one filesystem to the next (a container's overlay, a tmpfs).
    """
    try:
        st = os.stat(path)
        with open(proc_locks, encoding="ascii", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return ()
    wanted = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    pids: list[int] = []
    for line in lines:
        fields = line.split()
        if "->" in fields:
            continue  # a waiter, not a holder
        if len(fields) < 6:
            continue
        try:
            pid = int(fields[4])
            major, minor, inode = fields[5].split(":")
            device = (int(major, 16), int(minor, 16), int(inode))
        except ValueError:
            continue
        if device == wanted and pid not in pids:
            pids.append(pid)
    return tuple(pids)


def probe_lock(cache_root: str) -> LockProbe:
    """Try an exclusive non-blocking flock on `<cache>/.lock` and release it at once.

    The file is opened without O_CREAT: probing must never create anything in the cache.
    """
    path = os.path.join(cache_root, ".lock")
    if fcntl is None:
        return LockProbe(LockState.UNKNOWN, detail="flock is not available on this platform")
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return LockProbe(LockState.MISSING)
    except OSError as exc:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return LockProbe(LockState.UNKNOWN, detail=exc.strerror or str(exc))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holders = lock_holders(path)
            programs = tuple(process_name(pid) for pid in holders)
            return LockProbe(LockState.HELD, holders, programs=programs)
        except OSError as exc:
            return LockProbe(LockState.UNKNOWN, detail=exc.strerror or str(exc))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return LockProbe(LockState.FREE)
    finally:
        os.close(fd)
