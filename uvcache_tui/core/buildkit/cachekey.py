"""The key of a cache mount, written literally into a helper build's `--mount` option.

BuildKit keys a cache mount by its id (namespaced with `BUILDKIT_CACHE_MOUNT_NS`) plus the
uid/gid/mode base (buildkit-cache.md §5.2); the target is not part of the key. The helper
Dockerfiles hold literal values only, so a `$` is escaped where the frontend would expand it.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TOOLS = "/.bb"
"""Where the helper image is bind-mounted (its `bin/` gives sh, tar, find, stat)."""
MOUNT = "/.m"
SOURCE_TAR = "/.src.tar"
_RESERVED = ("/", TOOLS, "/out", SOURCE_TAR, "/dev", "/proc", "/sys", "/etc")
UNSAFE = re.compile(r'[\s,"\'\\]')
"""Characters a `--mount` option value cannot carry literally."""


def literal(value: str, expands_variables: bool) -> str:
    """`value` kept literal in a `--mount` option: `$` escaped where the frontend expands."""
    return value.replace("$", "\\$") if expands_variables else value


@dataclass(frozen=True)
class CacheKey:
    """What BuildKit keys a cache mount by: the id plus uid/gid/mode (§5.2).

    `id` is the Dockerfile's `id=` (or its target when it had none), as written: the
    frontend adds the namespace again. uid, gid and mode must be the writer's.
    """

    id: str
    uid: int | None = None
    gid: int | None = None
    mode: int | None = None
    namespace: str = ""
    """`BUILDKIT_CACHE_MOUNT_NS` of the writer (a build argument, not Dockerfile text)."""

    def __post_init__(self) -> None:
        if not self.id or UNSAFE.search(self.id):
            raise ValueError(
                f"cache id {self.id!r} cannot be written literally in a --mount option "
                "(empty, or has spaces, commas, quotes or backslashes)"
            )
        for name in ("uid", "gid"):
            value = getattr(self, name)
            if value is not None and not 0 <= value < 2**32:
                raise ValueError(f"{name} must be between 0 and 4294967295, not {value}")
        if UNSAFE.search(self.namespace):
            raise ValueError(f"namespace {self.namespace!r} has spaces, commas or quotes")
        if self.mode is not None and not 0 <= self.mode <= 0o7777:
            raise ValueError(f"mode must be an octal number up to 7777, not {self.mode:o}")

    def options(self, expands_variables: bool) -> str:
        """`id=…[,uid=…][,gid=…][,mode=…]` for `--mount=type=cache,…`.

        A `$` in the id is kept literal: escaped for frontends that expand variables in
        `--mount` (BuildKit >= 0.9), as is for the legacy one, which never does.
        """
        parts = [f"id={literal(self.id, expands_variables)}"]
        if self.uid is not None:
            parts.append(f"uid={self.uid}")
        if self.gid is not None:
            parts.append(f"gid={self.gid}")
        if self.mode is not None:
            parts.append(f"mode={self.mode:04o}")
        return ",".join(parts)

    def describe(self) -> str:
        """`id /root/.cache/uv, uid 1000, gid 1000, mode 0755` for messages."""
        parts = [f"id {self.id}"]
        parts += [f"{n} {getattr(self, n)}" for n in ("uid", "gid") if getattr(self, n) is not None]
        if self.mode is not None:
            parts.append(f"mode {self.mode:04o}")
        return ", ".join(parts)

    @property
    def target(self) -> str:
        """Where the helper mounts the cache. Not part of the key, but the importer's new
        record shows it, and BuildKit < 0.12 shows nothing else: an absolute id is
        mounted at itself (so its record's target *is* the key), another below /.m."""
        path = posixpath.normpath(self.id)
        if path.startswith("/") and not any(
            path == top or path.startswith(top + "/") for top in _RESERVED
        ):
            return path
        if not path.startswith("/") and ".." not in path.split("/"):
            return f"{MOUNT}/{path}"
        return MOUNT

    def to_json(self) -> dict[str, object]:
        return {
            "namespace": self.namespace,
            "id": self.id,
            "uid": self.uid,
            "gid": self.gid,
            "mode": None if self.mode is None else f"{self.mode:04o}",
        }


NAMESPACE_ARG = "BUILDKIT_CACHE_MOUNT_NS"


def _number(text: str | None, base: int, name: str) -> int | None:
    if text is None or text == "":
        return None
    try:
        return int(text, base)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None


def key_of_mount(cache_id: str, options: Mapping[str, str], namespace: str = "") -> CacheKey:
    """The key of a Dockerfile's cache mount: its id (or target, as the Dockerfile reader
    gives it) plus `uid`/`gid` (decimal) and `mode` (octal) as BuildKit parses them."""
    return CacheKey(
        cache_id,
        _number(options.get("uid"), 10, "uid"),
        _number(options.get("gid"), 10, "gid"),
        _number(options.get("mode"), 8, "mode"),
        namespace,
    )


def key_from_json(document: Mapping[str, Any]) -> CacheKey:
    """The inverse of `CacheKey.to_json` (an export's manifest); ValueError if malformed."""
    mode = document.get("mode")
    try:
        return CacheKey(
            str(document["id"]),
            document.get("uid"),
            document.get("gid"),
            int(mode, 8) if isinstance(mode, str) else mode,
            str(document.get("namespace") or ""),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a cache key: {dict(document)!r}") from exc
