"""Builds real uv caches for tests: wheels and sdists made here, installed by the real uv.

Nothing is mocked: every cache entry is written by the `uv` binary from the test
dependency group, offline, from `--find-links` directories these helpers fill.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


def uv_binary() -> str:
    """The real uv from the test dependency group (next to the interpreter), else PATH."""
    candidate = Path(sys.executable).parent / "uv"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("uv")
    if not found:
        raise RuntimeError("the uv binary is missing: run `uv sync` (it is in the dev group)")
    return found


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_wheel(
    dest: Path, name: str, version: str, modules: int = 3, module_bytes: int = 6000
) -> Path:
    """Write a pure-Python wheel with `modules` files of about `module_bytes` each."""
    dist = name.replace("-", "_")
    filename = dest / f"{dist}-{version}-py3-none-any.whl"
    dest.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    for index in range(modules):
        body = f"# module {index} of {name} {version}\n".encode()
        filler = (f"VALUE_{index} = {index!r}\n" * (module_bytes // 16 + 1)).encode()
        files[f"{dist}/mod{index}.py"] = body + filler[:module_bytes]
    files[f"{dist}/__init__.py"] = f"__version__ = {version!r}\n".encode()
    info = f"{dist}-{version}.dist-info"
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    )
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: uvcache-tui-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    record_lines = [f"{path},{_record_hash(data)},{len(data)}" for path, data in files.items()]
    record_lines.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    with zipfile.ZipFile(filename, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return filename


_BACKEND = '''
"""A tiny in-tree PEP 517 backend so sdists build offline."""
import base64, hashlib, os, zipfile

NAME = {name!r}
VERSION = {version!r}
DIST = NAME.replace("-", "_")


def _files():
    return {{
        f"{{DIST}}/__init__.py": f"__version__ = {{VERSION!r}}\\n".encode(),
        f"{{DIST}}/core.py": (b"X = 1\\n" * 1500),
    }}


def _hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    info = f"{{DIST}}-{{VERSION}}.dist-info"
    files = _files()
    files[f"{{info}}/METADATA"] = f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n".encode()
    files[f"{{info}}/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    lines = [f"{{p}},{{_hash(d)}},{{len(d)}}" for p, d in files.items()] + [f"{{info}}/RECORD,,"]
    files[f"{{info}}/RECORD"] = ("\\n".join(lines) + "\\n").encode()
    name = f"{{DIST}}-{{VERSION}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as zf:
        for p, d in files.items():
            zf.writestr(p, d)
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []
'''


def write_tiny_project(root: Path, name: str, version: str) -> None:
    """A buildable project in `root`: its pyproject and an in-tree build backend (no index
    needed to build it)."""
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [project]
            name = "{name}"
            version = "{version}"

            [build-system]
            requires = []
            build-backend = "tinybackend"
            backend-path = ["."]
            """
        )
    )
    (root / "tinybackend.py").write_text(_BACKEND.format(name=name, version=version))


def make_sdist(dest: Path, name: str, version: str, extra_module: bool = False) -> Path:
    """Write an sdist whose in-tree backend builds a wheel without any download."""
    import tarfile

    dest.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_")
    base = f"{dist}-{version}"
    staging = dest / f".staging-{base}"
    root = staging / base
    root.mkdir(parents=True)
    write_tiny_project(root, name, version)
    if extra_module:
        (root / "EXTRA.txt").write_text("a second release of the same version\n")
    (root / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    target = dest / f"{base}.tar.gz"
    with tarfile.open(target, "w:gz") as archive:
        archive.add(root, arcname=base)
    shutil.rmtree(staging)
    return target


STABLE_PYTHON: str = getattr(sys, "_base_executable", sys.executable)
"""The base interpreter, whose path does not depend on where the checkout lives: snapshot
caches use it so their byte figures are the same in every clone."""


@dataclass
class UvEnv:
    """A sandbox: a cache dir, a find-links dir, and the environment to run uv in it."""

    base: Path
    python: str = sys.executable
    """The interpreter venvs are made from; uv records its path in `interpreter-vN`."""
    uv_path: str | None = None
    """The uv binary that writes this cache; None: the one from the test dependency group."""
    cache: Path = field(init=False)
    links: Path = field(init=False)

    def __post_init__(self) -> None:
        self.cache = self.base / "cache"
        self.links = self.base / "links"
        self.links.mkdir(parents=True, exist_ok=True)

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("UV_") and key not in ("VIRTUAL_ENV", "CONDA_PREFIX")
        }
        env.update(
            UV_CACHE_DIR=str(self.cache),
            UV_NO_CONFIG="1",
            UV_PYTHON_DOWNLOADS="never",
            UV_NO_PROGRESS="1",
            HOME=str(self.base / "home"),
            XDG_CONFIG_HOME=str(self.base / "home" / ".config"),
        )
        env.update(extra)
        return env

    def uv(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.uv_path or uv_binary(), *args],
            env=self.env(**extra),
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"uv {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
            )
        return result

    def venv(self, name: str) -> Path:
        path = self.base / name
        self.uv("venv", "--python", self.python, str(path))
        return path

    def install(self, venv: Path, *requirements: str, link_mode: str = "hardlink") -> None:
        self.uv(
            "pip",
            "install",
            "--offline",
            "--no-index",
            "--find-links",
            str(self.links),
            "--link-mode",
            link_mode,
            "--python",
            str(venv / "bin" / "python"),
            *requirements,
        )


def du_bytes(path: Path) -> int:
    """`du -sB1` of a path: the reference figure allocated bytes must equal."""
    output = subprocess.run(
        ["du", "-sB1", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return int(output.split()[0])


def du_apparent_bytes(path: Path) -> int:
    """`du -s --apparent-size -B1` of a path: the reference figure apparent bytes must equal."""
    output = subprocess.run(
        ["du", "-s", "--apparent-size", "-B1", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(output.split()[0])


def uv_cache_size(env: UvEnv) -> int:
    result = env.uv("cache", "size", "--output-format", "machine")
    return int(result.stdout.strip())


def hold_cache_lock(env: UvEnv, seconds: int = 60) -> subprocess.Popen[bytes]:
    """A real `uv run` (the env's uv) holding the cache's shared lock (as any running uv does).

    Returns once the child script runs: uv has taken the lock and written everything it
    writes on start-up, so a tree signature taken now stays valid. The caller terminates it.
    """
    from uvcache_tui.core.lock import LockState, probe_lock

    ready = env.base / f"holder-ready-{os.getpid()}-{time.monotonic_ns()}"
    script = env.base / f"{ready.name}.py"
    script.write_text(
        f"import pathlib, time\npathlib.Path({str(ready)!r}).touch()\ntime.sleep({seconds})\n"
    )
    uv = env.uv_path or uv_binary()
    holder = subprocess.Popen(
        [uv, "run", "--no-project", "--python", sys.executable, str(script)],
        env=env.env(),
        cwd=env.base,
    )
    deadline = time.monotonic() + 20
    while not ready.exists() or probe_lock(str(env.cache)).state is not LockState.HELD:
        if time.monotonic() > deadline or holder.poll() is not None:
            holder.kill()
            raise AssertionError("uv run never took the cache lock")
        time.sleep(0.05)
    return holder


def add_history(env: UvEnv, venv: Path) -> None:
    """What a cache gathers over time, on top of `alpha` 1.0, `beta` and `gamma` 3.1 installed
    into `venv` from `env.links`: a cached environment (`uv run --with beta`), a dangling
    archive (alpha's wheel changes and is unzipped anew) and a stale sdist revision (gamma's
    sdist changes and is built again)."""
    env.uv(
        "run",
        "--no-project",
        "--offline",
        "--no-index",
        "--find-links",
        str(env.links),
        "--with",
        "beta",
        "--python",
        sys.executable,
        "python",
        "-c",
        "import beta",
    )
    make_wheel(env.links, "alpha", "1.0", modules=5)
    env.install(venv, "--reinstall-package", "alpha", "alpha==1.0")
    make_sdist(env.links, "gamma", "3.1", extra_module=True)
    env.install(venv, "--reinstall-package", "gamma", "gamma==3.1")
