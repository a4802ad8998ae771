"""The headless CLI, run as a real subprocess the way scripts and CI run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import RichCache
from tests.uvcache_factory import du_bytes, uv_binary, uv_cache_size

REPO = Path(__file__).resolve().parents[2]


def cli_env(env: dict[str, str] | None = None, uv_on_path: bool = True) -> dict[str, str]:
    """The environment of a CLI run: the test's uv first on PATH unless told otherwise."""
    full_env = dict(os.environ if env is None else env)
    if uv_on_path:
        full_env["PATH"] = os.path.dirname(uv_binary()) + os.pathsep + full_env.get("PATH", "")
    return full_env


def run_cli(
    *args: str, env: dict[str, str] | None = None, uv_on_path: bool = True
) -> subprocess.CompletedProcess[str]:
    """The shipped entry point, `python -m uvcache_tui …`, with no terminal anywhere."""
    return subprocess.run(
        [sys.executable, "-m", "uvcache_tui", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=cli_env(env, uv_on_path),
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def run_cli_with_tty(
    *args: str, env: dict[str, str] | None = None, answer: str
) -> subprocess.CompletedProcess[str]:
    """The shipped entry point with a pseudo-terminal on stdin, `answer` typed at its prompt
    (stdout and stderr stay pipes)."""
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvcache_tui", *args],
            cwd=REPO,
            env=cli_env(env),
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(slave)
        os.write(master, answer.encode() + b"\n")
        out, err = proc.communicate(timeout=300)
    finally:
        os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def show_json(path: Path) -> dict[str, Any]:
    result = run_cli("show", str(path), "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_show_json_equals_du(rich_cache_template: RichCache) -> None:
    document = show_json(rich_cache_template.cache)
    totals = document["totals"]
    assert totals["allocated_bytes"] == du_bytes(rich_cache_template.cache)
    assert totals["allocated_bytes"] == uv_cache_size(rich_cache_template.env)
    assert 0 < totals["reclaimable_bytes"] < totals["allocated_bytes"]
    assert document["path"] == str(rich_cache_template.cache)
    assert document["uv_version"][0].isdigit()
    assert {"name", "version", "status", "allocated_bytes", "reclaimable_bytes", "files"} <= set(
        document["buckets"][0]
    )
    names = {p["name"] for p in document["packages"]}
    assert names == {"alpha", "beta", "delta-pkg", "gamma"}
    assert document["problems"] == []


def test_show_defaults_to_active_cache(rich_cache_template: RichCache) -> None:
    env = dict(os.environ, UV_CACHE_DIR=str(rich_cache_template.cache))
    result = run_cli("show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["path"] == str(rich_cache_template.cache)


def test_bad_paths_exit_2_with_one_line(tmp_path: Path, rich_cache_template: RichCache) -> None:
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "plain").mkdir()
    for bad in [
        tmp_path / "missing",
        tmp_path / "file.txt",
        tmp_path / "plain",
        rich_cache_template.hardlink_venv,
    ]:
        result = run_cli("show", str(bad), "--json")
        assert result.returncode == 2, bad
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("uvcache-tui: "), result.stderr
        assert "Traceback" not in result.stderr


def test_ls_json_lists_locations(tmp_path: Path, rich_cache_template: RichCache) -> None:
    env = dict(os.environ, UV_CACHE_DIR=str(tmp_path / "active"), HOME=str(tmp_path))
    result = run_cli(
        "--cache-dir", str(rich_cache_template.cache), "ls", "--json", "--no-docker", env=env
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    by_path = {loc["path"]: loc for loc in document["locations"]}
    assert by_path[str(tmp_path / "active")]["active"] is True
    assert by_path[str(tmp_path / "active")]["allocated_bytes"] is None
    extra = by_path[str(rich_cache_template.cache)]
    assert extra["source"] == "--cache-dir"
    assert extra["allocated_bytes"] == du_bytes(rich_cache_template.cache)
    assert {loc["kind"] for loc in document["locations"]} == {"cache", "python", "tools"}


def test_bad_uv_binary_exits_2(tmp_path: Path) -> None:
    result = run_cli("--uv", str(tmp_path / "nope"), "ls", "--no-docker")
    assert result.returncode == 2
    assert "not an executable" in result.stderr


def test_active_cache_missing_or_emptied(tmp_path: Path) -> None:
    env = dict(os.environ, UV_CACHE_DIR=str(tmp_path / "cache"), HOME=str(tmp_path))
    result = run_cli("show", "--json", env=env)
    assert result.returncode == 2 and "does not exist yet" in result.stderr
    # What `uv cache clean` leaves: the root and maybe `.lock` — still shown, as empty.
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / ".lock").touch()
    result = run_cli("show", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["packages"] == []
    # Given explicitly, the same dir is not accepted as a cache.
    assert run_cli("show", str(tmp_path / "cache")).returncode == 2


def test_the_script_is_the_module_entry() -> None:
    """`uvcache-tui` (the [project.scripts] entry) and `python -m uvcache_tui` are one CLI."""
    script = Path(sys.executable).parent / "uvcache-tui"
    assert script.exists(), f"{script}: the project is not installed in this environment"
    for args in (["--help"], ["buildkit", "prune", "--help"]):
        by_script = subprocess.run(
            [str(script), *args], capture_output=True, text=True, cwd=REPO, timeout=60
        )
        assert by_script.returncode == 0, by_script.stderr
        assert by_script.stdout == run_cli(*args).stdout
    assert "--all-mounts" in by_script.stdout


def test_show_lists_wheels_interpreters_and_indexes(tmp_path: Path) -> None:
    from tests.deep_cache import build_deep_cache

    deep = build_deep_cache(tmp_path)
    result = run_cli("show", "--json", str(deep.cache))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    alpha = next(p for p in document["packages"] if p["name"] == "alpha")
    assert sorted(w["filename"] for w in alpha["wheels"]) == [
        "alpha-1.0-py3-none-any.whl",
        "alpha-2.0-py3-none-any.whl",
    ]
    assert {w["origin"]["index"] for w in alpha["wheels"]} == {deep.index_url}
    stale = [i["executable"] for i in document["interpreters"] if i["stale"]]
    assert stale == [str(deep.gone_venv / "bin" / "python")]
    assert [(i["url"], i["pages"]) for i in document["indexes"]] == [(deep.index_url, 2)]
    assert document["undecoded"] == []
    text = run_cli("show", str(deep.cache))
    assert text.returncode == 0, text.stderr
    assert "alpha-1.0-py3-none-any.whl" in text.stdout
    assert f"{deep.gone_venv}/bin/python" in text.stdout and "stale (gone)" in text.stdout
    assert deep.index_url in text.stdout


def test_ls_lists_managed_pythons(tmp_path: Path) -> None:
    """uv's python dir as uv lays it out: one dir per installation, a minor-version symlink,
    a lock file; the real uv reports the dir (`uv python dir`), the layout comes from it."""
    pythons = tmp_path / "pythons"
    install = pythons / "cpython-3.12.4-linux-x86_64-gnu"
    (install / "bin").mkdir(parents=True)
    (install / "bin" / "python3.12").write_bytes(Path(sys.executable).read_bytes()[:50000])
    (pythons / "cpython-3.12-linux-x86_64-gnu").symlink_to(install.name)
    (pythons / ".lock").write_text("")
    env = dict(os.environ, UV_PYTHON_INSTALL_DIR=str(pythons), HOME=str(tmp_path))
    result = run_cli("ls", "--json", "--no-docker", env=env)
    assert result.returncode == 0, result.stderr
    [location] = [loc for loc in json.loads(result.stdout)["locations"] if loc["kind"] == "python"]
    assert location["path"] == str(pythons)
    assert location["pythons"] == [
        {
            "name": install.name,
            "implementation": "cpython",
            "version": "3.12.4",
            "platform": "linux-x86_64-gnu",
            "allocated_bytes": du_bytes(install),
            "files": 1,
        }
    ]
    text = run_cli("ls", "--no-docker", env=env)
    assert "cpython 3.12.4" in text.stdout
