"""Tarballs of cache mounts: checked before import, extracted faithfully, made from a dir.

A cache is data whose links matter (uv hardlinks archives into venvs, symlinks its
environments), so extraction keeps hardlinks, symlinks, modes and numeric owners. What is
refused is anything that would write outside the tree: absolute or `..` names, hardlinks
to a name not in the tree, relative symlinks that climb above its root, and entries placed
below a symlink. An absolute symlink *target* is kept: it is data (a venv's
`bin/python -> /usr/bin/python3`), resolved only where the cache is used.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import posixpath
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_MAGIC = {b"\x1f\x8b": gzip.open, b"BZh": bz2.open, b"\xfd7zXZ\x00": lzma.open}


class UnsafeArchive(ValueError):
    """The source is not a tar, or a member would land outside the tree."""


@dataclass(frozen=True)
class ArchiveSummary:
    """What a checked tarball holds."""

    entries: int
    bytes: int
    names: frozenset[str]
    """Member names, normalised (`./a/b` → `a/b`, the root is `.`)."""
    top_level: frozenset[str]


def normalise(name: str) -> str:
    """`./a/b/` → `a/b`; the root (`.`, `./`, ``) → `.`."""
    cleaned = posixpath.normpath(name) if name not in ("", ".", "./") else "."
    return "." if cleaned in ("", ".") else cleaned


def check_member(member: tarfile.TarInfo, symlinks: set[str]) -> str:
    """The member's normalised name, or UnsafeArchive saying why it is refused."""
    raw = member.name
    if raw.startswith("/") or posixpath.isabs(raw):
        raise UnsafeArchive(f"absolute path in the archive: {raw!r}")
    if ".." in raw.split("/"):
        raise UnsafeArchive(f"'..' in a path of the archive: {raw!r}")
    name = normalise(raw)
    parent = posixpath.dirname(name)
    while parent:
        if parent in symlinks:
            raise UnsafeArchive(f"{raw!r} lies below the symlink {parent!r}")
        parent = posixpath.dirname(parent)
    if member.islnk():
        target = member.linkname
        if posixpath.isabs(target) or ".." in target.split("/"):
            raise UnsafeArchive(f"hardlink {raw!r} points outside the archive: {target!r}")
    elif member.issym():
        target = member.linkname
        if not posixpath.isabs(target):
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
            if resolved == ".." or resolved.startswith("../"):
                raise UnsafeArchive(f"symlink {raw!r} points outside the archive: {target!r}")
        symlinks.add(name)
    elif member.ischr() or member.isblk():
        # A build running as root may mknod in a cache mount; made on the host, such a node
        # would open a device of this machine. No uv cache holds one.
        raise UnsafeArchive(f"device node in the archive: {raw!r}")
    elif not (member.isreg() or member.isdir() or member.isfifo()):
        raise UnsafeArchive(f"unsupported member type in the archive: {raw!r}")
    return name


def _open_plain(path: Path) -> IO[bytes]:
    """The tar stream of `path`, decompressed when it is gzip, bzip2 or xz."""
    with open(path, "rb") as probe:
        head = probe.read(6)
    for magic, opener in _MAGIC.items():
        if head.startswith(magic):
            stream: IO[bytes] = opener(path, "rb")  # type: ignore[operator]
            return stream
    return open(path, "rb")


def members(stream: IO[bytes]) -> Iterator[tarfile.TarInfo]:
    """Members of a tar stream, read once; a stream that is not a tar → UnsafeArchive."""
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            yield from archive
    except (tarfile.TarError, EOFError, OSError, lzma.LZMAError) as exc:
        raise UnsafeArchive(f"not a readable tar archive ({exc})") from exc


def check_archive(path: Path) -> ArchiveSummary:
    """Read every header of `path` (a tar, possibly compressed) and refuse unsafe members."""
    symlinks: set[str] = set()
    names: set[str] = set()
    total = 0
    count = 0
    with _open_plain(path) as stream:
        for member in members(stream):
            name = check_member(member, symlinks)
            if member.islnk() and normalise(member.linkname) not in names:
                raise UnsafeArchive(
                    f"hardlink {member.name!r} points to {member.linkname!r}, not in the archive"
                )
            names.add(name)
            count += 1
            total += member.size if member.isreg() else 0
    if not count:
        raise UnsafeArchive(f"{path} is an empty archive (not a tar?)")
    return ArchiveSummary(count, total, frozenset(names), _top(names))


def _top(names: set[str]) -> frozenset[str]:
    return frozenset(n.split("/", 1)[0] for n in names if n != ".")


def plain_copy(path: Path, dest: Path) -> None:
    """`dest` = the uncompressed tar of `path` (a hardlink when it is one already)."""
    with _open_plain(path) as stream:
        if isinstance(stream, gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile):
            with open(dest, "wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
            return
    try:
        os.link(path, dest)
    except OSError:
        shutil.copyfile(path, dest)


def _keep_filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
    """Python's `tar` filter for where things land, the original mode for what they are."""
    checked = tarfile.tar_filter(member, dest)
    return checked.replace(mode=member.mode, deep=False)


def extract_member(
    archive: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, dirs: list[tarfile.TarInfo]
) -> None:
    """Extract one member already checked (`check_member`) of a tar being streamed into
    `dest`; a directory is made writable while its files arrive and noted in `dirs` for
    `finish_dirs`. Device nodes are never recreated (no cache holds one)."""
    if member.ischr() or member.isblk():
        return
    if member.isdir():
        dirs.append(member)
        member = member.replace(mode=member.mode | 0o700, deep=False)
    archive.extract(member, dest, numeric_owner=True, filter=_keep_filter)


def finish_dirs(dest: Path, dirs: list[tarfile.TarInfo]) -> None:
    """Give the extracted directories their own mode and mtime, deepest first."""
    for member in sorted(dirs, key=lambda m: normalise(m.name).count("/"), reverse=True):
        path = dest / normalise(member.name)
        os.chmod(path, member.mode & 0o7777)
        os.utime(path, (member.mtime, member.mtime))


def extract_stream(stream: IO[bytes], dest: Path) -> ArchiveSummary:
    """Extract a tar stream into `dest` (which exists), checking every member first.

    Directories are made writable while their files arrive (a stream cannot be read
    twice) and get their own mode and mtime at the end, deepest first.
    """
    symlinks: set[str] = set()
    names: set[str] = set()
    dirs: list[tarfile.TarInfo] = []
    total = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                name = check_member(member, symlinks)
                names.add(name)
                total += member.size if member.isreg() else 0
                extract_member(archive, member, dest, dirs)
    except (tarfile.TarError, EOFError) as exc:
        raise UnsafeArchive(f"not a readable tar archive ({exc})") from exc
    finish_dirs(dest, dirs)
    return ArchiveSummary(len(names), total, frozenset(names), _top(names))


def tar_directory(source: Path, dest: Path) -> ArchiveSummary:
    """Write `source`'s tree to the tar `dest`, with hardlinks, symlinks, numeric owners;
    refused (UnsafeArchive) when a symlink in it climbs above `source`."""
    symlinks: set[str] = set()
    names: set[str] = set()
    sizes = [0]

    def record(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uname = info.gname = ""
        names.add(check_member(info, symlinks))
        sizes[0] += info.size if info.isreg() else 0
        return info

    with tarfile.open(dest, "w", format=tarfile.GNU_FORMAT) as archive:
        archive.add(source, arcname=".", recursive=True, filter=record)
    return ArchiveSummary(len(names), sizes[0], frozenset(names), _top(names))
