"""What may be opened as a uv cache: one rule for both front ends (`check_cache_dir`),
and the CACHEDIR.TAG it reads."""

from __future__ import annotations

import os
from dataclasses import dataclass

from uvcache_tui.core.locate import CACHEDIR_SIGNATURE, is_uv_cache


@dataclass(frozen=True)
class CacheDirTag:
    present: bool
    valid: bool


def read_cachedir_tag(path: str) -> CacheDirTag:
    try:
        with open(os.path.join(path, "CACHEDIR.TAG"), encoding="utf-8", errors="replace") as tag:
            return CacheDirTag(True, tag.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE)
    except OSError:
        return CacheDirTag(False, False)


class NotACacheError(ValueError):
    """The path given is not something uvcache-tui will treat as a uv cache."""


def _is_emptied_cache(path: str) -> bool:
    """What `uv cache clean` leaves (the root, maybe `.lock`), or a root uv created before
    its first bucket (a valid CACHEDIR.TAG): an empty cache, never a venv."""
    try:
        names = set(os.listdir(path))
    except OSError:
        return False
    if "pyvenv.cfg" in names:
        return False
    return names <= {"CACHEDIR.TAG", ".gitignore", ".lock"} or read_cachedir_tag(path).valid


def check_cache_dir(path: str, active: bool = False) -> str:
    """Absolute path of a uv cache dir, or NotACacheError with a one-line reason.

    The one rule both front ends use: a uv cache by signature; or, for the cache the user's
    uv uses now (`active`), also an empty one (`_is_emptied_cache`). A path given
    explicitly must carry the signature: an empty dir could be anything.
    """
    absolute = os.path.abspath(path)
    if not os.path.lexists(absolute):
        raise NotACacheError(f"{path}: no such file or directory")
    if not os.path.isdir(absolute):
        raise NotACacheError(f"{path}: not a directory")
    if not os.access(absolute, os.R_OK | os.X_OK):
        raise NotACacheError(f"{path}: permission denied")
    if not is_uv_cache(absolute) and not (active and _is_emptied_cache(absolute)):
        raise NotACacheError(
            f"{path}: not a uv cache (needs CACHEDIR.TAG with the standard signature, "
            "a uv bucket dir, and no pyvenv.cfg)"
        )
    return absolute
