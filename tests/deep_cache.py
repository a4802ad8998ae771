"""A cache with every kind of origin, written by the real uv: wheels and an sdist from a
PEP 503 index served over HTTP on 127.0.0.1, a `--find-links` dir, a direct URL, a local
wheel file, a git dependency from a local repository, and a venv deleted after install
(its interpreter entry is stale)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.uvcache_factory import UvEnv, make_sdist, make_wheel, write_tiny_project


@dataclass
class DeepCache:
    env: UvEnv
    index_url: str
    """`http://127.0.0.1:<port>/idx/` (the server is gone once the cache is built)."""
    server_url: str
    repo: Path
    commit: str
    kept_venv: Path
    gone_venv: Path

    @property
    def cache(self) -> Path:
        return self.env.cache


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """A static HTTP server on 127.0.0.1 for `directory`; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _write_index(root: Path) -> None:
    """PEP 503 pages for every project dir under `root`."""
    projects = sorted(p for p in root.iterdir() if p.is_dir())
    for project in projects:
        links = "".join(
            f'<a href="{f.name}">{f.name}</a>\n'
            for f in sorted(project.iterdir())
            if f.name != "index.html"
        )
        (project / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")
    links = "".join(f'<a href="{p.name}/">{p.name}</a>\n' for p in projects)
    (root / "index.html").write_text(f"<html><body>\n{links}</body></html>\n")


def make_git_repo(path: Path, name: str, version: str) -> str:
    """A one-commit repository holding a buildable project; returns the commit."""
    path.mkdir(parents=True)
    write_tiny_project(path, name, version)
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=path, check=True)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=path, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=path, check=True, capture_output=True, text=True
    ).stdout.strip()


def build_deep_cache(base: Path, uv_path: str | None = None) -> DeepCache:
    env = UvEnv(base, uv_path=uv_path)
    site = base / "site"
    make_wheel(site / "idx" / "alpha", "alpha", "1.0")
    make_wheel(site / "idx" / "alpha", "alpha", "2.0", modules=4)
    make_sdist(site / "idx" / "gamma", "gamma", "3.1")
    _write_index(site / "idx")
    make_wheel(site / "direct", "direct-pkg", "0.3")
    make_wheel(env.links, "flpkg", "0.7")
    local = make_wheel(base / "local", "localpkg", "0.2")
    repo = base / "gitrepo"
    commit = make_git_repo(repo, "gitpkg", "0.4")
    kept = env.venv("venv-kept")
    gone = env.venv("venv-gone")
    with serve(site) as url:
        index_url = f"{url}/idx/"
        common = ["pip", "install", "--index-url", index_url, "--find-links", str(env.links)]
        env.uv(
            *common,
            "--python",
            str(kept / "bin" / "python"),
            "alpha==1.0",
            "gamma",
            "flpkg",
            f"direct-pkg @ {url}/direct/direct_pkg-0.3-py3-none-any.whl",
            str(local),
            f"gitpkg @ git+file://{repo}",
        )
        env.uv(*common, "--python", str(gone / "bin" / "python"), "alpha==2.0")
    shutil.rmtree(gone)
    return DeepCache(env, index_url, url, repo, commit, kept, gone)
