"""`RUN --mount=…` options, and when the engine expands variables in them.

Expansion of ENV and ARG in mount values (all keys but `from`) came with the Dockerfile
frontend 1.3.0 (BuildKit v0.9.0). The frontend built into Engine 20.10 predates it; Engine
23.0 and later have it. A `# syntax=` line picks the frontend image instead of the built-in
one (docs: /work/shared/reference/buildkit-cache.md §6). When a value is not expanded the
text stays literal: a relative target is joined to WORKDIR (`/build/${UV_CACHE_DIR}`) and the
cache id is the raw text, cleaned.
"""

from __future__ import annotations

import csv
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from uvcache_tui.core.dockerfile.words import expand_word, has_variable

FIRST_EXPANDING_ENGINE = 23
"""Engine 23.0 vendors BuildKit v0.10.6, whose built-in frontend expands mount options."""
FIRST_EXPANDING_FRONTEND = (1, 3)
FIRST_EXPANDING_BUILDKIT = (0, 9)
"""BuildKit v0.9.0 ships the Dockerfile frontend 1.3.0 as its built-in one."""

_TARGET_KEYS = ("target", "dst", "destination")
_SOURCE_KEYS = ("source", "src")
_FLAG_KEYS = ("readonly", "ro", "rw", "readwrite", "required")
_TAG_RE = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-labs)?$")


@dataclass(frozen=True)
class MountSpec:
    """One `--mount` as BuildKit would apply it."""

    text: str
    """The option as written, after `--mount=`."""
    type: str
    target: str | None
    """Absolute: a relative target joined to WORKDIR, as BuildKit does."""
    raw_target: str | None
    """The target before joining (expanded or literal, as the engine sees it)."""
    cache_id: str | None
    """What BuildKit keys a cache mount by: `id`, else the cleaned raw target."""
    options: dict[str, str]
    """Every key=value, values as the engine sees them."""
    literal_variables: tuple[str, ...]
    """Values that kept a `$…` because the engine does not expand them."""
    unset: tuple[str, ...]
    """Variables named in the values that had no value (expanded to nothing)."""

    @property
    def is_cache(self) -> bool:
        return self.type == "cache"

    @property
    def sharing(self) -> str:
        return self.options.get("sharing", "shared")

    @property
    def base_key(self) -> tuple[str, ...]:
        """The options besides `id` that select a different cache (BuildKit keys the cache
        by id plus the base ref: `from`/`source`, or the mkdir that uid/gid/mode imply)."""
        return tuple(self.options.get(k, "") for k in ("uid", "gid", "mode", "from", "source"))


def frontend_expands(syntax: str) -> bool | None:
    """Whether the frontend named by `# syntax=` expands mount options; None if unknown."""
    ref = syntax.strip().split("@", 1)[0]
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    repo = name.rsplit("/", 2)
    short = "/".join(repo[-2:])
    if short not in ("docker/dockerfile", "docker/dockerfile-upstream"):
        return None
    if not tag or tag in ("latest", "labs", "master", "master-labs"):
        return True
    match = _TAG_RE.match(tag)
    if match is None:
        return None if short.endswith("upstream") else False  # `experimental`, `1.0-experimental`
    major, minor = int(match.group(1)), match.group(2)
    if minor is None:
        return major >= 1
    return (major, int(minor)) >= FIRST_EXPANDING_FRONTEND


def engine_major(version: str) -> int | None:
    match = re.match(r"\s*v?(\d+)", version)
    return int(match.group(1)) if match else None


def buildkit_expands(buildkit_version: str) -> bool | None:
    """Whether the frontend built into this BuildKit (`v0.12.5`, `v0.8+unknown`) expands;
    None for a version that says nothing (`v0.0.0+unknown`, as Debian's moby builds report)."""
    match = re.match(r"\s*v?(\d+)\.(\d+)", buildkit_version)
    version = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if version == (0, 0):  # `v0.0.0+unknown`: a distribution's build that lost its version
        return None
    return version >= FIRST_EXPANDING_BUILDKIT


def mount_expansion(
    engine_version: str | None, syntax: str | None, buildkit_version: str | None = None
) -> bool | None:
    """Whether variables in `--mount` options are expanded: by the `# syntax=` frontend when
    there is one, else by the builder's built-in frontend (known from its BuildKit version,
    else from the engine's). None when it cannot be known."""
    if syntax:
        return frontend_expands(syntax)
    if buildkit_version:
        known = buildkit_expands(buildkit_version)
        if known is not None:
            return known
    if engine_version is None:
        return None
    major = engine_major(engine_version)
    return None if major is None else major >= FIRST_EXPANDING_ENGINE


def go_clean(path: str) -> str:
    """Go's `path.Clean`: like normpath, but a leading `//` is one slash too."""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _fields(text: str) -> list[str]:
    """BuildKit reads the option as one CSV record (`target="/a,b"` keeps its comma)."""
    rows = list(csv.reader([text]))
    return [field for field in rows[0]] if rows else []


def parse_mount(
    text: str,
    env: Mapping[str, str],
    workdir: str,
    expands: bool,
    escape: str = "\\",
) -> MountSpec:
    """Apply one `--mount` value the way the engine would (`expands`: see mount_expansion)."""
    options: dict[str, str] = {}
    literal: list[str] = []
    unset: list[str] = []
    for field in _fields(text):
        key, sep, value = field.partition("=")
        key = key.strip().lower()
        if not sep:
            options[key] = "true" if key in _FLAG_KEYS else ""
            continue
        if key != "from" and has_variable(value):
            if expands:
                expansion = expand_word(value, env, escape)
                unset.extend(n for n in expansion.unset if n not in unset)
                value = expansion.value
            else:
                literal.append(f"{key}={value}")
        options[key] = value
    for alias in _TARGET_KEYS[1:]:
        if alias in options:
            options.setdefault("target", options.pop(alias))
    if "src" in options:
        options.setdefault("source", options.pop("src"))
    raw_target = options.get("target")
    target = go_clean(posixpath.join(workdir, raw_target)) if raw_target else None
    mount_type = options.get("type", "bind")
    cache_id = options.get("id") or (go_clean(raw_target) if raw_target else None)
    return MountSpec(
        text=text,
        type=mount_type,
        target=target,
        raw_target=raw_target,
        cache_id=cache_id if mount_type == "cache" else None,
        options=options,
        literal_variables=tuple(literal),
        unset=tuple(unset),
    )
