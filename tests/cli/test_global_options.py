"""The program's options work before or after the command, and nothing given is dropped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import RichCache
from tests.uvcache_factory import uv_binary


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=str(home), UV_CACHE_DIR=str(home / "active"))
    return subprocess.run(
        [sys.executable, "-m", "uvcache_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _cache_paths(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    return {loc["path"] for loc in document["locations"] if loc["source"] == "--cache-dir"}


def test_options_after_the_command(tmp_path: Path, rich_cache_template: RichCache) -> None:
    cache = str(rich_cache_template.cache)
    before = run_cli("--cache-dir", cache, "ls", "--json", "--no-docker", home=tmp_path)
    after = run_cli("ls", "--json", "--no-docker", "--cache-dir", cache, home=tmp_path)
    assert _cache_paths(before) == _cache_paths(after) == {cache}
    # Given on both sides, both count.
    other = tmp_path / "other"
    other.mkdir()
    both = run_cli(
        "--cache-dir",
        cache,
        "ls",
        "--json",
        "--no-docker",
        "--cache-dir",
        str(other),
        home=tmp_path,
    )
    assert _cache_paths(both) == {cache, str(other)}


def test_one_value_given_twice_must_agree(tmp_path: Path) -> None:
    uv = uv_binary()
    same = run_cli("--uv", uv, "ls", "--json", "--no-docker", "--uv", uv, home=tmp_path)
    assert same.returncode == 0, same.stderr
    differ = run_cli("--uv", uv, "ls", "--no-docker", "--uv", "/bin/false", home=tmp_path)
    assert differ.returncode == 2 and differ.stdout == ""
    assert "--uv: given twice with different values" in differ.stderr
    # The TUI-only options are not a command's.
    for option in ("--read-only", "--no-snapshot"):
        tui_only = run_cli("ls", option, home=tmp_path)
        assert tui_only.returncode == 2 and f"unrecognized arguments: {option}" in tui_only.stderr
