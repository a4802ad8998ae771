"""Mount points inside a tree: where a cache stops being one filesystem.

uv deletes recursively and crosses mount points, so a bind mount or tmpfs inside a cache
entry would have the *mounted* filesystem's files deleted. The kernel's mount table is the
only reliable source: a bind mount of a directory of the same filesystem keeps `st_dev`.
"""

from __future__ import annotations

import os

MOUNTINFO = "/proc/self/mountinfo"


def _unescape(field: bytes) -> bytes:
    r"""mountinfo escapes space, tab, newline and backslash as `\040`, `\011`, `\012`, `\134`."""
    if b"\\" not in field:
        return field
    out = bytearray()
    index = 0
    while index < len(field):
        if field[index : index + 1] == b"\\" and field[index + 1 : index + 4].isdigit():
            out.append(int(field[index + 1 : index + 4], 8))
            index += 4
        else:
            out.append(field[index])
            index += 1
    return bytes(out)


def read_mount_points(mountinfo: str = MOUNTINFO) -> list[str] | None:
    """Every mount point of this process's namespace, or None where there is no mount table."""
    try:
        with open(mountinfo, "rb") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    points: list[str] = []
    for line in lines:
        fields = line.split(b" ")
        if len(fields) > 4:
            points.append(os.fsdecode(_unescape(fields[4])))
    return points


def mount_points_under(root: str, mountinfo: str = MOUNTINFO) -> list[str] | None:
    """Mount points strictly below `root`, relative to it and sorted; None if unknown.

    `root` is resolved first: the mount table holds resolved paths.
    """
    points = read_mount_points(mountinfo)
    if points is None:
        return None
    real = os.path.realpath(root)
    prefix = real.rstrip("/") + "/"
    return sorted({os.path.relpath(p, real) for p in points if p.startswith(prefix)})


def covering_entry(mount: str, entries: list[str]) -> str | None:
    """The entry (relative path) that is `mount` or one of its parents, if any."""
    for entry in entries:
        if mount == entry or mount.startswith(entry.rstrip("/") + "/"):
            return entry
    return None
