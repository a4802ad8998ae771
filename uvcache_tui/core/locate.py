"""Where uv caches and uv data live: ask uv, or reproduce its precedence without it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from uvcache_tui.core.buckets import bucket_family
from uvcache_tui.core.model import Location, LocationKind
from uvcache_tui.core.uvbin import (
    CACHE_DIR,
    PYTHON_DIR,
    TOOL_DIR,
    VERSION_QUERY,
    UvBinary,
    UvError,
    path_query,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CACHEDIR_SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
_TRUTHY = {"1", "true", "yes", "on", "y", "t"}


@dataclass(frozen=True)
class CacheDirChoice:
    """The cache dir uv would pick, and the rule that picked it."""

    path: str | None
    source: str
    """`--cache-dir`, `UV_CACHE_DIR`, `config (<file>)`, `legacy default`, `default`, `UV_NO_CACHE`."""


def _config_value(key: str, cwd: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """A string setting from project config (uv.toml / pyproject.toml up the tree), else the
    user's uv.toml, as uv reads them; returns (value, source)."""
    if env.get("UV_NO_CONFIG", "").lower() in _TRUTHY:
        return None
    candidates: list[tuple[Path, bool]] = []
    for directory in [Path(cwd), *Path(cwd).parents]:
        candidates.append((directory / "uv.toml", False))
        candidates.append((directory / "pyproject.toml", True))
    config_home = env.get("XDG_CONFIG_HOME")
    if not (config_home and os.path.isabs(config_home)):
        config_home = os.path.join(_home(env), ".config")
    candidates.append((Path(config_home) / "uv" / "uv.toml", False))
    for path, is_pyproject in candidates:
        try:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError):
            continue
        table = data.get("tool", {}).get("uv", {}) if is_pyproject else data
        if isinstance(table, dict) and isinstance(table.get(key), str):
            return str(table[key]), f"config ({path})"
    return None


def _config_cache_dir(cwd: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    found = _config_value("cache-dir", cwd, env)
    if found is None:
        return None
    # uv resolves a relative config value against the cwd, not the config file's dir.
    return os.path.normpath(os.path.join(cwd, found[0])), found[1]


def configured_link_mode(
    env: Mapping[str, str] | None = None, cwd: str | None = None
) -> tuple[str, str] | None:
    """(`symlink`, `UV_LINK_MODE`) when a link mode is configured, else None."""
    env = os.environ if env is None else env
    if env.get("UV_LINK_MODE"):
        return env["UV_LINK_MODE"], "UV_LINK_MODE"
    return _config_value("link-mode", cwd or os.getcwd(), env)


def _home(env: Mapping[str, str]) -> str:
    return env.get("HOME") or os.path.expanduser("~")


def default_cache_dir(env: Mapping[str, str], platform: str = sys.platform) -> CacheDirChoice:
    """uv's platform default, with the corrections uv-cache.md §2.4 lists for macOS/Windows."""
    if platform == "win32":
        base = platformdirs.user_cache_dir("uv", appauthor=False, opinion=False)
        return CacheDirChoice(os.path.join(base, "cache"), "default")
    if platform == "darwin":
        legacy = os.path.join(_home(env), "Library", "Caches", "uv")
        if os.path.isdir(legacy):
            return CacheDirChoice(legacy, "legacy default")
    xdg = env.get("XDG_CACHE_HOME")
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(_home(env), ".cache")
    return CacheDirChoice(os.path.join(base, "uv"), "default")


def resolve_cache_dir(
    env: Mapping[str, str] | None = None, cwd: str | None = None, cli_cache_dir: str | None = None
) -> CacheDirChoice:
    """Reproduce uv's cache-dir precedence (uv-cache.md §2.1) for when no uv is on PATH."""
    env = os.environ if env is None else env
    cwd = cwd or os.getcwd()
    if env.get("UV_NO_CACHE", "").lower() in _TRUTHY:
        return CacheDirChoice(None, "UV_NO_CACHE")
    if cli_cache_dir:
        return CacheDirChoice(os.path.normpath(os.path.join(cwd, cli_cache_dir)), "--cache-dir")
    if env.get("UV_CACHE_DIR"):
        return CacheDirChoice(
            os.path.normpath(os.path.join(cwd, env["UV_CACHE_DIR"])), "UV_CACHE_DIR"
        )
    configured = _config_cache_dir(cwd, env)
    if configured:
        return CacheDirChoice(*configured)
    return default_cache_dir(env)


def default_data_dir(
    kind: LocationKind, env: Mapping[str, str], platform: str = sys.platform
) -> str:
    """Managed Pythons / tools dirs when uv is not there to ask."""
    sub = "python" if kind is LocationKind.PYTHON else "tools"
    override = env.get("UV_PYTHON_INSTALL_DIR" if sub == "python" else "UV_TOOL_DIR")
    if override:
        return os.path.abspath(override)
    if platform == "win32":
        appdata = platformdirs.user_data_dir("uv", appauthor=False, roaming=True)
        legacy = os.path.join(appdata, "data")
        return os.path.join(legacy if os.path.isdir(legacy) else appdata, sub)
    if platform == "darwin":
        legacy = os.path.join(_home(env), "Library", "Application Support", "uv")
        if os.path.isdir(legacy):
            return os.path.join(legacy, sub)
    xdg = env.get("XDG_DATA_HOME")
    base = xdg if xdg and os.path.isabs(xdg) else os.path.join(_home(env), ".local", "share")
    return os.path.join(base, "uv", sub)


@dataclass
class Discovery:
    """Everything `locate` found, plus what went wrong on the way (shown, never raised)."""

    locations: list[Location] = field(default_factory=list)
    uv_version: str | None = None
    uv_path: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def active_cache(self) -> Location | None:
        return next((loc for loc in self.locations if loc.active), None)

    @property
    def protected_paths(self) -> list[str]:
        """uv's persistent data dirs (Pythons, tools): an action must never touch them."""
        return [loc.path for loc in self.locations if not loc.kind.is_cache]


def is_uv_cache(path: str) -> bool:
    """Signature check: valid CACHEDIR.TAG, at least one uv bucket, and not a venv."""
    try:
        with open(os.path.join(path, "CACHEDIR.TAG"), encoding="utf-8", errors="replace") as tag:
            if not tag.read(len(CACHEDIR_SIGNATURE)).startswith(CACHEDIR_SIGNATURE):
                return False
        if os.path.exists(os.path.join(path, "pyvenv.cfg")):
            return False
        with os.scandir(path) as entries:
            return any(e.is_dir(follow_symlinks=False) and bucket_family(e.name) for e in entries)
    except OSError:
        return False


def find_caches(root: str, max_depth: int = 6) -> list[str]:
    """uv caches under `root`, found by signature; does not descend into a found cache."""
    found: list[str] = []
    stack = [(os.path.abspath(root), 0)]
    while stack:
        path, depth = stack.pop()
        if is_uv_cache(path):
            found.append(path)
            continue
        if depth >= max_depth or os.path.exists(os.path.join(path, "pyvenv.cfg")):
            continue
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False) and entry.name not in (
                        ".git",
                        "node_modules",
                    ):
                        stack.append((entry.path, depth + 1))
        except OSError:
            continue
    return sorted(found)


def discover(
    uv: UvBinary | None,
    extra_caches: Iterable[str] = (),
    find_roots: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    uv_version: str | None = None,
) -> Discovery:
    """The active cache, uv's data dirs, and extra caches, each with where it came from.

    `uv_version`: what `uv --version` already answered (the caller checked it), so uv is not
    asked twice.
    """
    env = os.environ if env is None else env
    cwd = cwd or os.getcwd()
    discovery = Discovery()
    rule = resolve_cache_dir(env, cwd)
    cache_path: str | None = rule.path
    python_dir = default_data_dir(LocationKind.PYTHON, env)
    tool_dir = default_data_dir(LocationKind.TOOLS, env)
    if uv is not None:
        discovery.uv_path = uv.path
        queries = [] if uv_version else [VERSION_QUERY]
        queries += [path_query(CACHE_DIR)] if rule.path is not None else []
        queries += [path_query(PYTHON_DIR), path_query(TOOL_DIR)]
        try:
            # All at once, read in turn: the first that fails stops the rest, as if asked
            # one after the other, in the time of one.
            with uv.started(queries) as started:
                answers = dict(zip(queries, started, strict=True))
                discovery.uv_version = uv_version or uv.version(answers[VERSION_QUERY])
                if rule.path is not None:
                    cache_path = uv.cache_dir(answers[path_query(CACHE_DIR)])
                python_dir = uv.python_dir(answers[path_query(PYTHON_DIR)])
                tool_dir = uv.tool_dir(answers[path_query(TOOL_DIR)])
        except UvError as exc:
            discovery.notes.append(f"{exc}; using uv's documented defaults instead")
    else:
        discovery.notes.append("no uv on PATH: locations follow uv's documented precedence")
    if cache_path is None:
        discovery.notes.append("UV_NO_CACHE is set: uv uses a throwaway cache for each command")
    else:
        discovery.locations.append(
            Location(LocationKind.CACHE, cache_path, rule.source, active=True)
        )
    discovery.locations.append(Location(LocationKind.PYTHON, python_dir, "uv python dir"))
    discovery.locations.append(Location(LocationKind.TOOLS, tool_dir, "uv tool dir"))
    seen = {os.path.realpath(cache_path)} if cache_path else set()
    for extra in extra_caches:
        path = os.path.abspath(extra)
        if os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            discovery.locations.append(Location(LocationKind.CACHE, path, "--cache-dir"))
    for root in find_roots:
        for path in find_caches(root):
            if os.path.realpath(path) not in seen:
                seen.add(os.path.realpath(path))
                discovery.locations.append(Location(LocationKind.CACHE, path, f"--find {root}"))
    return discovery
