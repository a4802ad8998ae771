"""Benchmark `uvcache-tui show --json` against `du -s`, `uv cache size`, gdu and ncdu.

Builds (once, kept in --dir) a large uv-shaped cache, then runs every tool on it N times after
one warm-up run each, and prints median wall time and peak memory (max RSS of the child and
whatever it waited for, from `os.wait4`) side by side, with the project's targets:

    time    <= 1.5 x `du -s`          (now)
    time    <= 1.0 x `uv cache size`  (on the way)
    memory  <= 150 MiB                (for 750k files)

    uv run python benchmarks/bench_scan.py                      # 200k files, 3 runs
    uv run python benchmarks/bench_scan.py --files 750000 --dir /tmp/uvb-750k
    uv run python benchmarks/bench_scan.py --hardlinked-venvs 2 --json results.json

Figures are warm-cache: dropping the page cache is not possible reliably (nor portably), so
every tool reads a tree that is already in memory; that is also what a user who runs
`uvcache-tui` twice sees. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

GENERATOR_VERSION = 1
STAMP = ".bench-params.json"
CACHE = "cache"
VENVS = "venvs"
SITE = "lib/python3.12/site-packages"
CACHEDIR_TAG = b"Signature: 8a477f597d28d172789f06886806bc55\n"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TIME_VS_DU = 1.5
TIME_VS_UV = 1.3
CPU_VS_UV = 1.6
MEMORY_MIB = 150
MEMORY_TARGET_FILES = 750_000

# Text-like filler every file is cut from (the content is irrelevant; the sizes are not).
_FILLER = memoryview(
    (b"def function_%d(argument):\n    return argument * 2  # padding padding\n" * 4000)[:262144]
)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


# --------------------------------------------------------------------------- tree plan


@dataclass(frozen=True)
class Archive:
    """One unzipped wheel in archive-v0, and the link that refers to it."""

    index: int
    archive_id: str
    name: str
    """Normalised package name (`pkg-alpha-12`)."""
    version: str
    files: int
    """Files inside the archive (modules plus the three dist-info files)."""
    link: str
    """`wheel`, `sdist` or `none` (a dangling archive)."""
    first_of_package: bool
    sdist_files: int = 0

    @property
    def dist(self) -> str:
        return self.name.replace("-", "_")


_WORD_TEXT = (
    "alpha beta gamma delta http json yaml async fast py lib core tools client server data stream "
    "cache auth crypto image text parse render grid plot numeric sql orm web cli test mock type "
    "lint doc build wheel pack net io os time zone color log config"
)
_WORDS = _WORD_TEXT.split(" ")
_ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def _archive_id(rng: random.Random) -> str:
    return "".join(rng.choice(_ID_CHARS) for _ in range(16))


def _hex(rng: random.Random, length: int = 16) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


@dataclass
class Plan:
    seed: int
    target_files: int
    archives: list[Archive] = field(default_factory=list)
    interpreter_files: int = 0

    @property
    def packages(self) -> int:
        return sum(1 for a in self.archives if a.first_of_package)


ROOT_FILES = 3  # CACHEDIR.TAG, .gitignore, .lock
WHEEL_ENTRY_FILES = 3  # symlink, .http, .lock
SDIST_EXTRA_FILES = 5  # pyproject.toml, PKG-INFO, metadata.msgpack, .whl, symlink


def make_plan(target_files: int, seed: int) -> Plan:
    """Decide every archive and link up front (cheap), so workers can build in parallel."""
    rng = random.Random(seed)
    plan = Plan(seed, target_files)
    remaining = target_files - ROOT_FILES
    package = 0
    while remaining > 200:
        name = f"{rng.choice(_WORDS)}-{rng.choice(_WORDS)}-{package}"
        versions = rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
        for version_index in range(versions):
            files = min(4000, max(5, int(rng.lognormvariate(3.3, 1.1))))
            roll = rng.random()
            link = "none" if roll < 0.02 else "sdist" if roll < 0.12 else "wheel"
            sdist_files = min(400, max(2, files // 2)) if link == "sdist" else 0
            cost = files + (1 if version_index == 0 else 0)
            if link == "wheel":
                cost += WHEEL_ENTRY_FILES
            elif link == "sdist":
                cost += sdist_files + SDIST_EXTRA_FILES
            if cost > remaining - 10:
                break
            plan.archives.append(
                Archive(
                    index=len(plan.archives),
                    archive_id=_archive_id(rng),
                    name=name,
                    version=f"{rng.randint(0, 9)}.{rng.randint(0, 40)}.{version_index}",
                    files=files,
                    link=link,
                    first_of_package=version_index == 0,
                    sdist_files=sdist_files,
                )
            )
            remaining -= cost
        package += 1
    plan.interpreter_files = remaining  # filled up in interpreter-v5 so the count is exact
    return plan


# --------------------------------------------------------------------------- writing


def _size(rng: random.Random, low: int = 100, high: int = 20_000) -> int:
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _write(path: str, size: int) -> None:
    fd = os.open(path, _WRITE_FLAGS, 0o644)
    try:
        while size > 0:
            size -= os.write(fd, _FILLER[: min(size, len(_FILLER))])
    finally:
        os.close(fd)


def _mkdir(path: str) -> None:
    with contextlib.suppress(FileExistsError):
        os.mkdir(path)


def _write_archive(cache: str, seed: int, archive: Archive) -> int:
    """The archive dir, its wheels/sdists entries and (once per package) its simple entry."""
    rng = random.Random(seed * 1_000_003 + archive.index)
    written = 0
    base = f"{cache}/archive-v0/{archive.archive_id}"
    os.mkdir(base)
    modules = archive.files - 3
    dirs = [f"{base}/{archive.dist}"]
    depth = [1]
    os.mkdir(dirs[0])
    for number in range(1, max(1, modules // 8)):
        candidates = [i for i, d in enumerate(depth) if d < 3]
        parent = rng.choice(candidates)
        path = f"{dirs[parent]}/{rng.choice(_WORDS)}_{number}"
        os.mkdir(path)
        dirs.append(path)
        depth.append(depth[parent] + 1)
    for number in range(modules):
        if number < len(dirs):
            path = f"{dirs[number]}/__init__.py"
        else:
            path = f"{rng.choice(dirs)}/mod_{number}.py"
        _write(path, _size(rng))
    info = f"{base}/{archive.dist}-{archive.version}.dist-info"
    os.mkdir(info)
    _write(f"{info}/METADATA", _size(rng, 400, 20_000))
    _write(f"{info}/RECORD", min(20_000, 90 * archive.files))
    _write(f"{info}/WHEEL", 110)
    written += archive.files
    stem = f"{archive.version}-py3-none-any"
    if archive.link == "wheel":
        directory = f"{cache}/wheels-v8/pypi/{archive.name}"
        _mkdir(directory)
        os.symlink(f"../../../archive-v0/{archive.archive_id}", f"{directory}/{stem}")
        _write(f"{directory}/{stem}.http", _size(rng, 300, 4000))
        _write(f"{directory}/{stem}.lock", 0)
        written += WHEEL_ENTRY_FILES
    elif archive.link == "sdist":
        parent = f"{cache}/sdists-v11/pypi/{archive.name}"
        _mkdir(parent)
        rev = f"{parent}/{archive.version}"
        _mkdir(rev)
        rev = f"{rev}/{_archive_id(rng)}"
        os.mkdir(rev)
        src = f"{rev}/src"
        os.mkdir(src)
        tree = f"{src}/{archive.dist}-{archive.version}"
        os.mkdir(tree)
        _write(f"{tree}/pyproject.toml", _size(rng, 300, 3000))
        _write(f"{tree}/PKG-INFO", _size(rng, 400, 8000))
        package_dir = f"{tree}/{archive.dist}"
        os.mkdir(package_dir)
        for number in range(archive.sdist_files):
            _write(f"{package_dir}/mod_{number}.py", _size(rng))
        _write(f"{rev}/metadata.msgpack", _size(rng, 300, 6000))
        wheel = f"{archive.dist}-{archive.version}-py3-none-any"
        _write(f"{rev}/{wheel}.whl", _size(rng, 2000, 200_000))
        os.symlink(f"../../../../../archive-v0/{archive.archive_id}", f"{rev}/{wheel}")
        written += archive.sdist_files + SDIST_EXTRA_FILES
    if archive.first_of_package:
        _write(f"{cache}/simple-v28/pypi/{archive.name}.rkyv", _size(rng, 300, 60_000))
        written += 1
    return written


def _write_chunk(job: tuple[str, int, list[Archive]]) -> int:
    cache, seed, archives = job
    return sum(_write_archive(cache, seed, archive) for archive in archives)


def _link_tree(source: str, target: str) -> tuple[int, int]:
    """Hardlink every file of `source` into `target` (dirs re-created); (files, dirs)."""
    files = dirs = 0
    stack = [(source, target)]
    while stack:
        src, dst = stack.pop()
        os.mkdir(dst)
        dirs += 1
        with os.scandir(src) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{dst}/{entry.name}"))
                else:
                    os.link(entry.path, f"{dst}/{entry.name}", follow_symlinks=False)
                    files += 1
    return files, dirs


def _link_chunk(job: tuple[str, str, list[Archive]]) -> int:
    """Install archives into a site-packages dir by hardlinking, as `uv pip install` does."""
    cache, site, archives = job
    linked = 0
    for archive in archives:
        source = f"{cache}/archive-v0/{archive.archive_id}"
        with os.scandir(source) as entries:
            tops = [e.name for e in entries]
        for top in tops:
            linked += _link_tree(f"{source}/{top}", f"{site}/{top}")[0]
    return linked


def _chunks(items: Sequence[Archive], size: int) -> Iterable[list[Archive]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


@dataclass
class TreeInfo:
    files: int
    """Non-directory entries in the cache (files and symlinks), as `find -not -type d` counts."""
    archives: int
    packages: int
    venv_links: int
    cached_env_links: int
    build_seconds: float
    built_now: bool


def build_tree(directory: str, params: dict[str, Any], jobs: int) -> TreeInfo:
    started = time.monotonic()
    plan = make_plan(params["files"], params["seed"])
    cache = os.path.join(directory, CACHE)
    os.makedirs(cache)
    with open(os.path.join(cache, "CACHEDIR.TAG"), "wb") as handle:
        handle.write(CACHEDIR_TAG)
    with open(os.path.join(cache, ".gitignore"), "wb") as handle:
        handle.write(b"*\n")
    _write(os.path.join(cache, ".lock"), 0)
    for bucket in ("archive-v0", "wheels-v8/pypi", "sdists-v11/pypi", "simple-v28/pypi"):
        os.makedirs(os.path.join(cache, bucket))
    rng = random.Random(params["seed"] + 7)
    interpreter = os.path.join(cache, "interpreter-v5", _hex(rng))
    os.makedirs(interpreter)
    for number in range(plan.interpreter_files):
        _write(f"{interpreter}/{_hex(rng)}{number}.msgpack", _size(rng, 1000, 12_000))
    files = ROOT_FILES + plan.interpreter_files
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with context.Pool(jobs) as pool:
        work = [(cache, params["seed"], chunk) for chunk in _chunks(plan.archives, 64)]
        files += sum(pool.imap_unordered(_write_chunk, work))
        cached_env_links = 0
        envs_root = os.path.join(cache, "environments-v2")
        for number in range(params["cached_envs"]):
            if number == 0:
                os.makedirs(envs_root)
            env_id = _archive_id(rng)
            env = os.path.join(cache, "archive-v0", env_id)
            os.makedirs(os.path.join(env, SITE))
            os.makedirs(os.path.join(env, "bin"))
            _write(os.path.join(env, "pyvenv.cfg"), 200)
            os.symlink(sys.executable, os.path.join(env, "bin", "python"))
            os.symlink(f"../archive-v0/{env_id}", os.path.join(envs_root, f"env-{_hex(rng)}"))
            files += 3
            chosen = _pick(plan.archives, params["venv_fraction"], rng)
            site = os.path.join(env, SITE)
            work2 = [(cache, site, chunk) for chunk in _chunks(chosen, 64)]
            cached_env_links += sum(pool.imap_unordered(_link_chunk, work2))
        files += cached_env_links
        venv_links = 0
        for number in range(params["hardlinked_venvs"]):
            venv = os.path.join(directory, VENVS, f"venv-{number}")
            os.makedirs(os.path.join(venv, SITE))
            chosen = _pick(plan.archives, params["venv_fraction"], rng)
            site = os.path.join(venv, SITE)
            work3 = [(cache, site, chunk) for chunk in _chunks(chosen, 64)]
            venv_links += sum(pool.imap_unordered(_link_chunk, work3))
    return TreeInfo(
        files=files,
        archives=len(plan.archives),
        packages=plan.packages,
        venv_links=venv_links,
        cached_env_links=cached_env_links,
        build_seconds=time.monotonic() - started,
        built_now=True,
    )


def _pick(archives: list[Archive], fraction: float, rng: random.Random) -> list[Archive]:
    """`fraction` of the packages, one version each (a venv holds one version of a package)."""
    by_name: dict[str, list[Archive]] = {}
    for archive in archives:
        by_name.setdefault(archive.name, []).append(archive)
    names = sorted(by_name)
    chosen = [rng.choice(by_name[name]) for name in rng.sample(names, round(len(names) * fraction))]
    return sorted(chosen, key=lambda a: a.index)


def ensure_tree(directory: str, params: dict[str, Any], jobs: int, rebuild: bool) -> TreeInfo:
    """Reuse the tree in `directory` if it was built with these parameters, else rebuild it."""
    stamp_path = os.path.join(directory, STAMP)
    stamp: dict[str, Any] | None = None
    try:
        with open(stamp_path, encoding="utf-8") as handle:
            stamp = json.load(handle)
    except (OSError, ValueError):
        stamp = None
    if stamp is not None and stamp.get("params") == params and not rebuild:
        info = TreeInfo(**stamp["tree"])
        info.built_now = False
        return info
    if os.path.exists(directory):
        if stamp is None and os.listdir(directory):
            raise SystemExit(
                f"{directory} exists, is not empty and holds no {STAMP}: refusing to delete it"
            )
        print(f"removing the old tree in {directory} ...", file=sys.stderr, flush=True)
        shutil.rmtree(directory)
    os.makedirs(directory)
    with open(stamp_path, "w", encoding="utf-8") as handle:
        json.dump({"params": None, "state": "incomplete"}, handle)  # ours, may be deleted
    print(f"building {params['files']:,} files in {directory} ...", file=sys.stderr, flush=True)
    info = build_tree(directory, params, jobs)
    with open(stamp_path, "w", encoding="utf-8") as handle:
        json.dump({"params": params, "tree": asdict(info)}, handle, indent=2)
    print(f"built in {info.build_seconds:.1f} s", file=sys.stderr, flush=True)
    return info


# --------------------------------------------------------------------------- measuring


@dataclass
class Tool:
    key: str
    label: str
    argv: list[str]
    env: dict[str, str] | None = None
    check_argv: list[str] | None = None
    """Warm-up command whose output gives the tool's byte total (for the sanity check)."""
    parse: Any = None
    note: str = ""
    cwd: str | None = None
    walls: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    """CPU seconds (user + system) of each run, the tool's whole process tree."""
    total_bytes: int | None = None
    error: str | None = None
    stats_argv: list[str] | None = None
    """uvcache-tui only: the same command through show_stats.py (per-process peak RSS)."""
    processes: dict[str, Any] | None = None


GNU_TIME = "/usr/bin/time"
LOAD_BEFORE: tuple[float, float, float] | None = None
"""The load average when the measured runs started (the table gives it with the end's)."""


def rss_method() -> str:
    return "gnu-time" if _gnu_time_works() else "wait4"


_GNU_TIME_OK: bool | None = None


def _gnu_time_works() -> bool:
    """True if /usr/bin/time understands `-f %M -o FILE` (GNU time)."""
    global _GNU_TIME_OK
    if _GNU_TIME_OK is None:
        _GNU_TIME_OK = False
        if os.access(GNU_TIME, os.X_OK):
            with tempfile.NamedTemporaryFile("r") as out:
                completed = subprocess.run(
                    [GNU_TIME, "-f", "%M", "-o", out.name, "true"],
                    capture_output=True,
                    check=False,
                )
                _GNU_TIME_OK = completed.returncode == 0 and out.read().strip().isdigit()
    return _GNU_TIME_OK


def run_measured(
    argv: Sequence[str], env: dict[str, str] | None, cwd: str | None = None
) -> tuple[float, int, int, str, float]:
    """(wall seconds, max RSS KiB, exit code, stderr tail, CPU seconds) for one run, stdout
    to /dev/null. The CPU time is user + system of the child and every descendant it waited
    for (`wait4`; GNU time waits for the tool, the tool for its workers and threads count).

    The max RSS comes from GNU time when present: it forks from a ~2 MiB process, so the
    figure is the tool's own. Otherwise it is `os.wait4`'s ru_maxrss of the child, which on
    Linux keeps the high-water mark of the (v)forked Python parent across exec, so it can
    not go below this script's RSS (~20 MiB) - fine for uvcache-tui, too high for `du`.
    """
    use_time = _gnu_time_works()
    with tempfile.TemporaryFile() as errors, tempfile.NamedTemporaryFile("r") as rss_file:
        command = list(argv)
        if use_time:
            command = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *command]
        started = time.perf_counter()
        child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=cwd
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        tail = errors.read()[-2000:].decode(errors="replace")
        # ru_maxrss is KiB on Linux, bytes on macOS.
        rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
        if use_time:
            lines = rss_file.read().split()
            rss = int(lines[-1]) if lines and lines[-1].isdigit() else rss
    return wall, rss, child.returncode, tail, usage.ru_utime + usage.ru_stime


def _parse_uvcache_tui(out: str) -> int:
    return int(json.loads(out)["totals"]["allocated_bytes"])


def _parse_first_int(out: str) -> int:
    return int(out.split()[0])


def _uvcache_tui(
    key: str,
    label: str,
    source: str,
    cache: str,
    python: str,
    uv: str | None,
    bytecode_cache: str | None = None,
) -> Tool:
    """`python -m uvcache_tui show CACHE --json`, run from the checkout at `source`.

    `bytecode_cache`: a directory for the compiled modules (`PYTHONPYCACHEPREFIX`), written
    by the warm-up run and read by the measured ones, as an installed tool runs; without it
    the environment decides (`PYTHONDONTWRITEBYTECODE=1` recompiles every module every run).
    """
    argv = [python, "-m", "uvcache_tui"]
    cli_args = ["--uv", uv] if uv else []
    cli_args += ["show", cache, "--json"]
    argv += cli_args
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    if bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = bytecode_cache
    tool = Tool(key, label, argv, env, argv, _parse_uvcache_tui, cwd=source)
    tool.stats_argv = [python, os.path.join(REPO, "benchmarks", "show_stats.py"), *cli_args]
    return tool


def make_tools(
    cache: str,
    python: str,
    uv: str | None,
    wanted: set[str],
    source: str = REPO,
    baseline: str | None = None,
    bytecode_cache: str | None = None,
) -> list[Tool]:
    tools: list[Tool] = []
    if "uvcache-tui" in wanted:
        pycache = os.path.join(bytecode_cache, "this") if bytecode_cache else None
        tools.append(
            _uvcache_tui(
                "uvcache-tui", "uvcache-tui show --json", source, cache, python, uv, pycache
            )
        )
        if baseline:
            pycache = os.path.join(bytecode_cache, "baseline") if bytecode_cache else None
            tools.append(
                _uvcache_tui(
                    "baseline", "  same, baseline source", baseline, cache, python, uv, pycache
                )
            )
    if "du" in wanted:
        tools.append(
            Tool("du", "du -s", ["du", "-s", cache], None, ["du", "-sB1", cache], _parse_first_int)
        )
    if "uv" in wanted:
        if uv is None:
            tools.append(Tool("uv", "uv cache size", [], note="skipped: no uv binary found"))
        else:
            env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
            env.update(UV_CACHE_DIR=cache, UV_NO_CONFIG="1", UV_NO_PROGRESS="1")
            argv = [uv, "cache", "size", "--output-format", "machine"]
            tools.append(Tool("uv", "uv cache size", argv, env, argv, _parse_first_int))
    for key, label, argv in (
        ("gdu", "gdu -npc", ["gdu", "-npc", cache]),
        ("ncdu", "ncdu -0 -o /dev/null", ["ncdu", "-0", "-o", "/dev/null", cache]),
    ):
        if key not in wanted:
            continue
        if shutil.which(argv[0]) is None:
            tools.append(Tool(key, label, [], note=f"skipped: {argv[0]} is not installed"))
        else:
            tools.append(Tool(key, label, argv))
    return tools


def warm_up(tool: Tool) -> None:
    argv = tool.check_argv or tool.argv
    completed = subprocess.run(
        argv,
        env=tool.env,
        cwd=tool.cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if completed.returncode != 0:
        tool.error = f"exit {completed.returncode}: {completed.stderr.strip()[-500:]}"
        return
    if tool.parse is not None:
        try:
            tool.total_bytes = tool.parse(completed.stdout)
        except (ValueError, KeyError, IndexError):
            tool.total_bytes = None


def measure(tools: list[Tool], repeat: int) -> None:
    active = [t for t in tools if t.argv and not t.note]
    for tool in active:
        print(f"warm-up: {tool.label}", file=sys.stderr, flush=True)
        warm_up(tool)
    active = [t for t in active if t.error is None]
    for number in range(repeat):
        # Round-robin, so drift in machine load spreads over every tool alike.
        for tool in active:
            wall, rss, code, tail, cpu = run_measured(tool.argv, tool.env, tool.cwd)
            if code != 0:
                tool.error = f"exit {code}: {tail.strip()[-500:]}"
                continue
            tool.walls.append(wall)
            tool.rss_kib.append(rss)
            tool.cpus.append(cpu)
        print(f"run {number + 1}/{repeat} done", file=sys.stderr, flush=True)
    for tool in active:
        if tool.stats_argv:
            tool.processes = process_memory(tool)


def process_memory(tool: Tool) -> dict[str, Any] | None:
    """One more run through show_stats.py: peak RSS of the parent and of each worker."""
    assert tool.stats_argv is not None
    with tempfile.NamedTemporaryFile("r", suffix=".json") as stats:
        completed = subprocess.run(
            [tool.stats_argv[0], tool.stats_argv[1], stats.name, *tool.stats_argv[2:]],
            env=tool.env,
            cwd=tool.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        if completed.returncode != 0:
            return None
        try:
            found: dict[str, Any] = json.load(stats)
        except ValueError:
            return None
    workers = [kib / 1024 for kib in found.get("workers_kib", [])]
    private = [kib / 1024 for kib in found.get("workers_private_kib", []) if kib >= 0]
    parent = found["parent_kib"] / 1024
    return {
        "parent_mib": parent,
        "workers_mib": workers,
        "workers_private_mib": private,
        "max_mib": max([parent, *workers]),
        "sum_mib": parent + sum(workers),
        "parent_plus_private_mib": parent + sum(private) if private else None,
        "scan": found.get("scan"),
    }


# --------------------------------------------------------------------------- reporting


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(
    tools: list[Tool], tree: TreeInfo, params: dict[str, Any], args: Any
) -> dict[str, Any]:
    by_key = {t.key: t for t in tools}
    rows = []
    for tool in tools:
        wall = _median(tool.walls)
        rss = _median(tool.rss_kib)
        rows.append(
            {
                "tool": tool.key,
                "command": tool.label,
                "wall_seconds_median": wall,
                "wall_seconds": tool.walls,
                "cpu_seconds_median": _median(tool.cpus),
                "cpu_seconds": tool.cpus,
                "peak_rss_mib_median": None if rss is None else rss / 1024,
                "peak_rss_mib": [r / 1024 for r in tool.rss_kib],
                "total_bytes": tool.total_bytes,
                "processes": tool.processes,
                "note": tool.note or None,
                "error": tool.error,
            }
        )
    ours = by_key.get("uvcache-tui")
    ours_wall = _median(ours.walls) if ours else None
    ours_rss = _median(ours.rss_kib) if ours else None
    targets = []

    def ratio_target(name: str, other: str, limit: float) -> None:
        tool = by_key.get(other)
        base = _median(tool.walls) if tool else None
        if ours_wall is None or not base:
            targets.append({"target": name, "ratio": None, "limit": limit, "result": "n/a"})
            return
        ratio = ours_wall / base
        result = "PASS" if ratio <= limit else "MISS"
        targets.append({"target": name, "ratio": ratio, "limit": limit, "result": result})

    ratio_target(f"time <= {TIME_VS_DU}x du -s", "du", TIME_VS_DU)
    ratio_target(f"time <= {TIME_VS_UV}x uv cache size", "uv", TIME_VS_UV)
    uv_tool = by_key.get("uv")
    ours_cpu = _median(ours.cpus) if ours else None
    uv_cpu = _median(uv_tool.cpus) if uv_tool else None
    if ours_cpu is None or not uv_cpu:
        targets.append({"target": "cpu", "ratio": None, "limit": CPU_VS_UV, "result": "n/a"})
    else:
        ratio = ours_cpu / uv_cpu
        targets.append(
            {
                "target": f"CPU time <= {CPU_VS_UV}x uv cache size",
                "ratio": ratio,
                "limit": CPU_VS_UV,
                "result": "PASS" if ratio <= CPU_VS_UV else "MISS",
            }
        )
    if ours_rss is None:
        targets.append({"target": "memory", "ratio": None, "limit": MEMORY_MIB, "result": "n/a"})
    else:
        mib = ours_rss / 1024
        targets.append(
            {
                "target": f"peak memory <= {MEMORY_MIB} MiB (defined for {MEMORY_TARGET_FILES:,} files)",
                "ratio": mib / MEMORY_MIB,
                "limit": MEMORY_MIB,
                "value_mib": mib,
                "result": "PASS" if mib <= MEMORY_MIB else "MISS",
            }
        )
    totals = {t.key: t.total_bytes for t in tools if t.total_bytes is not None}
    versus = None
    base = by_key.get("baseline")
    base_wall = _median(base.walls) if base else None
    base_rss = _median(base.rss_kib) if base else None
    if ours_wall and ours_rss and base_wall and base_rss:
        versus = {"wall_ratio": ours_wall / base_wall, "rss_ratio": ours_rss / base_rss}
    return {
        "params": params,
        "tree": asdict(tree),
        "repeat": args.repeat,
        "machine": machine_notes(args.dir),
        "results": rows,
        "targets": targets,
        "totals_bytes": totals,
        "totals_agree": len(set(totals.values())) <= 1 if totals else None,
        "versus_baseline": versus,
    }


def machine_notes(directory: str) -> dict[str, Any]:
    notes: dict[str, Any] = {
        "load_before": LOAD_BEFORE,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "rss_from": rss_method(),
    }
    with contextlib.suppress(OSError):
        notes["loadavg"] = os.getloadavg()
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            notes["mem_total_kib"] = int(handle.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    try:
        completed = subprocess.run(
            ["df", "-T", directory], capture_output=True, text=True, check=False, timeout=10
        )
        notes["filesystem"] = completed.stdout.splitlines()[-1].split()[1]
    except (OSError, IndexError, subprocess.SubprocessError):
        pass
    return notes


def format_table(summary: dict[str, Any]) -> str:
    tree = summary["tree"]
    params = summary["params"]
    lines = [
        f"tree: {tree['files']:,} files in the cache ({tree['archives']:,} archives, "
        f"{tree['packages']:,} packages); hardlinked venvs: {params['hardlinked_venvs']} "
        f"({tree['venv_links']:,} links outside the cache); cached envs: {params['cached_envs']} "
        f"({tree['cached_env_links']:,} links inside)",
        f"warm cache, 1 warm-up + {summary['repeat']} runs each, medians "
        f"(machine: {summary['machine'].get('cpus')} cpus, {summary['machine'].get('filesystem', '?')}, "
        f"load {', '.join(f'{x:.2f}' for x in summary['machine'].get('loadavg', ()))} at the "
        f"end, {', '.join(f'{x:.2f}' for x in summary['machine'].get('load_before') or ())} "
        "at the start)",
        "",
        f"{'command':<26} {'wall (median)':>13} {'min':>8} {'max':>8} {'CPU':>8} {'peak RSS':>11}"
        "  total bytes",
    ]
    for row in summary["results"]:
        if row["note"] or row["error"]:
            lines.append(f"{row['command']:<26} {row['note'] or 'error: ' + row['error']}")
            continue
        walls = row["wall_seconds"]
        total = "-" if row["total_bytes"] is None else f"{row['total_bytes']:,}"
        lines.append(
            f"{row['command']:<26} {row['wall_seconds_median']:>11.3f} s {min(walls):>6.3f} s "
            f"{max(walls):>6.3f} s {row['cpu_seconds_median']:>6.2f} s "
            f"{row['peak_rss_mib_median']:>7.1f} MiB  {total}"
        )
    lines.append("")
    for target in summary["targets"]:
        ratio = "-" if target["ratio"] is None else f"{target['ratio']:.2f}"
        extra = f" ({target['value_mib']:.1f} MiB)" if "value_mib" in target else ""
        lines.append(f"{target['target']:<58} ratio {ratio:>5}{extra}  {target['result']}")
    for row in summary["results"]:
        processes = row.get("processes")
        if processes and processes["workers_mib"]:
            workers = ", ".join(f"{mib:.1f}" for mib in processes["workers_mib"])
            lines.append(
                f"{row['command'].strip()}: peak RSS per process (one extra run): parent "
                f"{processes['parent_mib']:.1f} MiB, workers {workers} MiB; max "
                f"{processes['max_mib']:.1f} MiB, sum {processes['sum_mib']:.1f} MiB"
            )
            if processes.get("parent_plus_private_mib"):
                private = ", ".join(f"{mib:.1f}" for mib in processes["workers_private_mib"])
                lines.append(
                    f"  not shared with the parent: workers {private} MiB; parent peak + "
                    f"those {processes['parent_plus_private_mib']:.1f} MiB"
                )
    if summary["versus_baseline"]:
        versus = summary["versus_baseline"]
        lines.append(
            f"this source vs baseline source: time x{versus['wall_ratio']:.2f}, "
            f"peak memory x{versus['rss_ratio']:.2f}"
        )
    if summary["totals_agree"] is not None:
        lines.append(
            "byte totals (uvcache-tui, du -sB1, uv cache size) agree"
            if summary["totals_agree"]
            else f"byte totals DIFFER: {summary['totals_bytes']}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def default_uv() -> str | None:
    candidate = os.path.join(os.path.dirname(sys.executable), "uv")
    if os.access(candidate, os.X_OK):
        return candidate
    candidate = os.path.join(REPO, ".venv", "bin", "uv")
    if os.access(candidate, os.X_OK):
        return candidate
    return shutil.which("uv")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200_000, help="files in the cache (200000)")
    parser.add_argument(
        "--dir",
        default=os.path.join(tempfile.gettempdir(), "uvcache-tui-bench"),
        help="where the tree is built and kept (rebuilt only when the parameters change)",
    )
    parser.add_argument(
        "--hardlinked-venvs",
        type=int,
        default=0,
        metavar="N",
        help="venvs outside the cache that hardlink --venv-fraction of the archives (0)",
    )
    parser.add_argument(
        "--cached-envs",
        type=int,
        default=0,
        metavar="N",
        help="cached environments inside the cache (archive-v0/<id> + environments-v2 link), "
        "hardlinking --venv-fraction of the archives, as `uv run --with` makes (0)",
    )
    parser.add_argument("--venv-fraction", type=float, default=0.5, help="(0.5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per tool (3)")
    parser.add_argument(
        "--tools",
        default="uvcache-tui,du,uv,gdu,ncdu",
        help="comma-separated subset of uvcache-tui,du,uv,gdu,ncdu",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter for uvcache-tui")
    parser.add_argument(
        "--source", default=REPO, help="checkout whose uvcache_tui is measured (this one)"
    )
    parser.add_argument(
        "--baseline-source",
        metavar="DIR",
        help="also measure the uvcache_tui of another checkout, interleaved with this one "
        "(e.g. `git archive HEAD | tar -x -C /tmp/base`), for before/after under equal load",
    )
    parser.add_argument("--uv", default=None, help="uv binary (default: .venv/bin/uv)")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="run uvcache-tui with the environment's bytecode settings (by default compiled "
        "modules are kept in DIR/.pycache, as an installed tool keeps them)",
    )
    parser.add_argument(
        "--bytecode-cache",
        metavar="DIR",
        help="where the compiled modules are kept (default DIR/.pycache; elsewhere for a "
        "tree shared read-only)",
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="build workers")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the tree even if kept")
    parser.add_argument("--build-only", action="store_true", help="build the tree and stop")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="write the figures as JSON to FILE (or stdout, the table then goes to stderr)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.dir = os.path.abspath(args.dir)
    params = {
        "generator": GENERATOR_VERSION,
        "files": args.files,
        "seed": args.seed,
        "hardlinked_venvs": args.hardlinked_venvs,
        "cached_envs": args.cached_envs,
        "venv_fraction": args.venv_fraction,
    }
    tree = ensure_tree(args.dir, params, max(1, args.jobs), args.rebuild)
    if args.build_only:
        print(json.dumps(asdict(tree), indent=2))
        return 0
    wanted = {name.strip() for name in args.tools.split(",") if name.strip()}
    uv = args.uv or default_uv()
    cache = os.path.join(args.dir, CACHE)
    source = os.path.abspath(args.source)
    baseline = os.path.abspath(args.baseline_source) if args.baseline_source else None
    bytecode_cache = None
    if not args.no_bytecode_cache:
        bytecode_cache = os.path.abspath(args.bytecode_cache or os.path.join(args.dir, ".pycache"))
    tools = make_tools(cache, args.python, uv, wanted, source, baseline, bytecode_cache)
    global LOAD_BEFORE
    LOAD_BEFORE = os.getloadavg()
    measure(tools, args.repeat)
    summary = summarise(tools, tree, params, args)
    table = format_table(summary)
    if args.json == "-":
        print(table, file=sys.stderr)
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(table)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump(summary, handle, indent=2)
                handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
