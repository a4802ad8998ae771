"""What `show` reads of the contents before the joins with the model: in a thread while the
scan's workers walk, or in a child process forked once the walk is over (`ReadAheadChild`)."""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import struct
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from uvcache_tui.core.archive_links import ARCHIVE_BUCKET
from uvcache_tui.core.contents.pointers import DirPointers, prefetch_wheel_records
from uvcache_tui.core.contents.source_dirs import Listed, SourceDirReading, prefetch_source_dirs
from uvcache_tui.core.packages import dist_info_label

if TYPE_CHECKING:
    from uvcache_tui.core.scan import DirNode

_CPU = struct.Struct("<d")
"""What a `ReadAheadChild` writes before its pickled result: the CPU seconds it took."""


@dataclass
class ReadAhead:
    """Wheel pointers decoded and sdist source dirs read ahead, each used once by the
    contents (`wheels.read_wheel_dir`, `sdists.read_sdist_dir`); what is missing is read then."""

    wheel_pointers: dict[str, DirPointers] = field(default_factory=dict)
    """Wheels-bucket dir (relative) -> its pointers, decoded."""
    source_dirs: dict[str, SourceDirReading] = field(default_factory=dict)
    """sdist source dir (relative) -> what it holds."""
    version_dirs: dict[str, list[str]] = field(default_factory=dict)
    """Index package dir in an sdists bucket (relative) -> its version dirs, sorted."""
    metadata: dict[str, tuple[str, MetadataStat | None]] = field(default_factory=dict)
    """Archive id -> (its dist-info's name, the `lstat` of its `METADATA`, None: failed),
    for the archives with links to outside (`wheels.wheel_of`; read by the child only)."""
    cpu_s: float = 0.0
    """CPU seconds reading it took (its thread's; a child's whole process's), for benchmarks."""


MetadataStat = tuple[int, int, int]
"""(st_dev, st_ino, st_nlink) of a `METADATA`."""


def read_ahead(
    root: str,
    listings: dict[str, list[str]],
    sdist_buckets: list[str],
    sdist_dirs: Listed | None = None,
) -> ReadAhead:
    """Everything a full listing of the contents reads that does not need the model:
    `listings` are the wheels buckets' dirs `archive_links.find_links` listed, `sdist_dirs`
    the sdists buckets' (with their subdirectories)."""
    started = time.thread_time()
    sources, versions = prefetch_source_dirs(root, sdist_buckets, sdist_dirs)
    found = ReadAhead(prefetch_wheel_records(root, listings), sources, versions)
    found.cpu_s = time.thread_time() - started
    return found


class ReadAheadChild:
    """`read_ahead` in a process forked from this single-threaded one (`show`, once the
    scan's workers are done): it reads while this process builds the model, on the core the
    workers left, writes its result into an anonymous file and exits; `result` (at the
    joins) waits for it and takes the result over.

    Anything that goes wrong there (no fork, it fails, it is killed) only leaves the result
    empty: the contents then read the records themselves, as without it."""

    def __init__(
        self,
        root: str,
        listings: dict[str, list[str]],
        sdist_buckets: list[str],
        sdist_dirs: Listed | None = None,
        archives: DirNode | None = None,
    ) -> None:
        """`archives`: the scan's `archive-v0` (its sizes summed): the `METADATA` of those
        with links to outside are stat'ed too (`metadata_stats`)."""
        self._pid = 0
        memfd_create = getattr(os, "memfd_create", None)  # Linux, as fork here
        if memfd_create is None:
            return
        try:
            self._file = memfd_create("uvcache-tui-read-ahead", os.MFD_CLOEXEC)
            pid = os.fork()
        except OSError:
            if hasattr(self, "_file"):
                os.close(self._file)
            return
        if pid == 0:  # the child: never returns
            code = 1
            try:
                gc.disable()  # a collection would copy every page of the parent's heap
                found = read_ahead(root, listings, sdist_buckets, sdist_dirs)
                if archives is not None:
                    found.metadata = metadata_stats(root, archives)
                data = pickle.dumps(found, pickle.HIGHEST_PROTOCOL)
                import resource  # Unix only, as fork

                usage = resource.getrusage(resource.RUSAGE_SELF)  # since the fork
                with os.fdopen(self._file, "wb", closefd=False) as out:
                    out.write(_CPU.pack(usage.ru_utime + usage.ru_stime))
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        self._pid = pid
        self._done = weakref.finalize(self, _reap, self._file, pid)

    def result(self) -> ReadAhead:
        """What the child read (waits for it); empty if it failed. Once: it is handed over."""
        if not self._pid or self._done.detach() is None:
            return ReadAhead()
        try:
            _, status = os.waitpid(self._pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                return ReadAhead()
            data = _read_all(self._file)
        except OSError:
            return ReadAhead()
        finally:
            os.close(self._file)
        if len(data) <= _CPU.size:
            return ReadAhead()
        try:
            found = pickle.loads(memoryview(data)[_CPU.size :])
        except Exception:  # not what the child wrote: left as if it had failed
            return ReadAhead()
        if not isinstance(found, ReadAhead):
            return ReadAhead()
        found.cpu_s = _CPU.unpack_from(data)[0]
        return found


def metadata_stats(root: str, archives: DirNode) -> dict[str, tuple[str, MetadataStat | None]]:
    """The `METADATA` `lstat` of every archive whose files have links to outside it (venvs
    installed by hardlink), by its first `.dist-info` dir (what `packages.archive_label`
    names it by; the joins check the name and stat again where it differs)."""
    found: dict[str, tuple[str, MetadataStat | None]] = {}
    lstat = os.lstat
    prefix = os.sep.join((root, ARCHIVE_BUCKET, ""))
    for archive in archives.iter_children():
        if archive.sub_reclaim == archive.sub_alloc:
            continue  # every link of every file inside: none outside
        label = dist_info_label(child.name for child in archive.iter_children())
        if label is None:
            continue
        try:
            st = lstat(f"{prefix}{archive.name}/{label}.dist-info/METADATA")
        except OSError:
            found[archive.name] = (label, None)
        else:
            found[archive.name] = (label, (st.st_dev, st.st_ino, st.st_nlink))
    return found


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, 1 << 22):
        chunks.append(chunk)
    return b"".join(chunks)


def _reap(fd: int, pid: int) -> None:
    """A child whose result nobody took (`result` was not called): stopped and waited for
    (not waited for yet, its pid cannot have been reused)."""
    os.close(fd)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
