"""The cache lock's holders are named by the program that holds the lock, whatever it is."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.uvcache_factory import UvEnv, make_wheel, uv_binary
from uvcache_tui.core.lock import LockProbe, LockState, lock_holders, probe_lock, process_name

if not sys.platform.startswith("linux"):
    pytest.skip("holders come from /proc/locks (Linux)", allow_module_level=True)

_HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_SH)
print("locked", flush=True)
sys.stdin.read()
"""


@contextmanager
def held_by(argv: list[str], **kwargs: object) -> Iterator[subprocess.Popen[str]]:
    """Run `argv` until it prints its first line (it holds the lock by then), then yield it;
    closing its stdin lets it finish."""
    holder = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(60)


def test_holder_named_by_its_program(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    lock.touch()
    with held_by([sys.executable, "-c", _HOLD, str(lock)]) as holder:
        probe = probe_lock(str(tmp_path))
        comm = Path(f"/proc/{holder.pid}/comm").read_text().strip()
    assert comm.startswith("python")
    assert probe.state is LockState.HELD
    assert probe.holders == (holder.pid,)
    assert probe.programs == (comm,)
    assert probe.description == f"held by pid {holder.pid} ({comm})"
    assert "uv is running" not in probe.description
    assert not probe.held_by_uv
    assert probe_lock(str(tmp_path)).state is LockState.FREE


def test_holder_is_a_real_uv_run(tmp_path: Path) -> None:
    env = UvEnv(tmp_path)
    make_wheel(env.links, "alpha", "1.0")
    script = tmp_path / "wait.py"
    script.write_text("import sys\nprint('locked', flush=True)\nsys.stdin.read()\n")
    # `uv run` takes the cache lock before it starts the script, so once the script has
    # printed, uv holds it.
    argv = [uv_binary(), "run", "--no-project", "--python", sys.executable, str(script)]
    with held_by(argv, env=env.env(), cwd=tmp_path) as holder:
        probe = probe_lock(str(env.cache))
    assert probe.state is LockState.HELD
    assert holder.pid in probe.holders
    assert f"pid {holder.pid} (uv)" in probe.description
    assert probe.held_by_uv


def test_description_is_one_flat_phrase() -> None:
    both = LockProbe(LockState.HELD, (12, 34), programs=("uv", None))
    assert both.description == "held by pid 12 (uv), pid 34"
    assert not both.held_by_uv
    assert LockProbe(LockState.HELD).description == "held by another process"
    assert LockProbe(LockState.FREE).description == "free"
    assert LockProbe(LockState.UNKNOWN, detail="EIO").description == "unknown (EIO)"


def test_process_name(tmp_path: Path) -> None:
    assert process_name(os.getpid()) == Path("/proc/self/comm").read_text().strip()
    (tmp_path / "77").mkdir()
    (tmp_path / "77" / "comm").write_text("evil\x1b[31m\n")
    assert process_name(77, proc=str(tmp_path)) == "evil?[31m"
    assert process_name(78, proc=str(tmp_path)) is None


def test_holders_match_the_device_too(tmp_path: Path) -> None:
    """/proc/locks names a file by device and inode; the same inode number on another
    filesystem (another device) is another file, whoever holds it."""
    lock = tmp_path / ".lock"
    lock.touch()
    st = lock.stat()
    here = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    elsewhere = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev) + 1:02x}:{st.st_ino}"
    table = tmp_path / "locks"
    table.write_text(
        f"1: FLOCK  ADVISORY  WRITE 111 {elsewhere} 0 EOF\n"
        f"2: FLOCK  ADVISORY  READ  222 {here} 0 EOF\n"
        f"2: -> FLOCK  ADVISORY  WRITE 333 {here} 0 EOF\n"
    )
    assert lock_holders(str(lock), proc_locks=str(table)) == (222,)


def test_holders_of_a_real_lock_are_found_in_proc_locks(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    lock.touch()
    with held_by([sys.executable, "-c", _HOLD, str(lock)]) as holder:
        assert lock_holders(str(lock)) == (holder.pid,)
    assert lock_holders(str(lock)) == ()
