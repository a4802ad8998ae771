"""Hostile input for the actions, against the real uv: option-like names, special files,
mount points, broken archive links, the tool's own environment, and what the after-action
comparison reports. Every test checks that nothing outside the target changed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RichCache
from tests.core.test_actions import all_paths, expand, tree_signature, user_uv
from tests.uvcache_factory import uv_binary
from uvcache_tui.core.action_run import run_action
from uvcache_tui.core.actions import (
    OWN_ENVIRONMENT,
    ActionRefused,
    plan_action,
    valid_package_names,
)
from uvcache_tui.core.audit import audit_log_path
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.pathset import list_paths, outside, removed_paths
from uvcache_tui.core.predict import ActionKind

_AUDIT_DIR = tempfile.TemporaryDirectory(prefix="uvct-audit-")
"""Removed when the test session's interpreter exits (a bare mkdtemp was left behind)."""
AUDIT = {"UVCACHE_TUI_STATE_DIR": _AUDIT_DIR.name}
"""Outside every test's tree, so the surroundings check sees only what uv touched."""

HOSTILE_NAMES = [
    "--verbose",
    "-v",
    "--force",
    "-dashpkg",
    "--",
    "trailing-",
    "two words",
    "new\nline",
    "naïve",
    "",
    "../escape",
]


def surroundings(base: Path, cache: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under `base` but outside the cache, with inode, size and mtime."""
    sig: dict[str, tuple[int, int, int]] = {}
    for directory, dirnames, filenames in os.walk(base):
        if Path(directory) == cache:
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            if Path(path) == cache:
                continue
            st = os.lstat(path)
            sig[os.path.relpath(path, base)] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return sig


def cli(*args: str, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uvcache_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,  # type: ignore[arg-type]
    )


def cli_env(rc: RichCache, tmp_path: Path) -> dict[str, str]:
    env = rc.env.env()
    env["UVCACHE_TUI_STATE_DIR"] = AUDIT["UVCACHE_TUI_STATE_DIR"]
    return env


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_option_like_and_invalid_names_are_refused(
    rich_cache: RichCache, tmp_path: Path, name: str
) -> None:
    cache = rich_cache.cache
    uv, version = user_uv(rich_cache)
    model = load_cache(str(cache), table_for(version))
    with pytest.raises(ActionRefused):
        plan_action(model, uv, version, ActionKind.CLEAN_PACKAGES, [name])
    before = tree_signature(cache)
    around = surroundings(rich_cache.env.base, cache)
    result = cli(
        "clean", str(cache), f"--package={name}", "--yes", env=cli_env(rich_cache, tmp_path)
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("uvcache-tui: ")
    assert tree_signature(cache) == before
    assert surroundings(rich_cache.env.base, cache) == around


def test_names_are_normalised_and_passed_after_double_dash(rich_cache_template: RichCache) -> None:
    uv, version = user_uv(rich_cache_template)
    model = load_cache(str(rich_cache_template.cache), table_for(version))
    plan = plan_action(model, uv, version, ActionKind.CLEAN_PACKAGES, ["Gamma", "beta", "BETA"])
    assert plan.argv[-3:] == ["--", "beta", "gamma"]
    assert plan.prediction.packages == ["beta", "gamma"]
    assert valid_package_names(["Foo_Bar.baz"]) == ["foo-bar-baz"]


def add_specials(directory: Path, tag: str) -> None:
    """A FIFO, a socket, a symlink loop and a symlink to `/` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    os.mkfifo(directory / f"fifo-{tag}")
    short = tempfile.mkdtemp(prefix="s")  # AF_UNIX paths are short: bind, then move
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.path.join(short, "s"))
    sock.close()
    os.rename(os.path.join(short, "s"), directory / f"sock-{tag}")
    os.rmdir(short)
    os.symlink(f"loop-{tag}", directory / f"loop-{tag}")
    os.symlink("/", directory / f"root-{tag}")


@pytest.mark.parametrize("action", [ActionKind.PRUNE, ActionKind.PRUNE_CI, ActionKind.CLEAR_ALL])
def test_special_files_and_build_envs_are_predicted(
    rich_cache: RichCache, tmp_path: Path, action: ActionKind
) -> None:
    cache = rich_cache.cache
    add_specials(cache, "top")
    add_specials(cache / "builds-v0", "b")
    build_env = cache / "builds-v0" / ".tmpAbC123" / "lib" / "site-packages"
    build_env.mkdir(parents=True)
    (build_env / "setuptools.py").write_text("x = 1\n")
    add_specials(build_env, "deep")
    add_specials(cache / "wheels-v5", "stale")
    add_specials(cache / "environments-v2", "env")
    (cache / "archive-v0" / "stray-file").write_text("not an archive")
    os.mkfifo(cache / "archive-v0" / "fifo-arch")
    os.symlink("/", cache / "archive-v0" / "root-arch")
    uv, version = user_uv(rich_cache)
    model = load_cache(str(cache), table_for(version))
    plan = plan_action(model, uv, version, action)
    assert plan.blockers == []
    predicted = expand(cache, plan.prediction)
    if action is not ActionKind.CLEAR_ALL:
        kinds = {e.path: e.kind for e in plan.prediction.entries}
        assert kinds["builds-v0/.tmpAbC123"] == "build-environment"
        assert kinds["builds-v0/fifo-b"] == "build-environment"
        assert kinds["archive-v0/fifo-arch"] == "dangling-archive"
        assert kinds["archive-v0/root-arch"] == "dangling-archive"
    before = all_paths(cache)
    around = surroundings(rich_cache.env.base, cache)

    result = run_action(plan, model, uv, audit_env=AUDIT)

    assert result.ok, result.uv_output
    disappeared = before - all_paths(cache)
    assert disappeared == predicted
    assert result.unpredicted == [] and result.still_present == []
    assert set(result.removed) == disappeared
    assert surroundings(rich_cache.env.base, cache) == around
    assert os.path.isdir("/etc") and os.path.isdir("/usr/bin")


def test_comparison_reports_every_unpredicted_path(rich_cache: RichCache, tmp_path: Path) -> None:
    """A prediction that misses an entry: every path uv removed in it is reported, files and
    special files included, not only directories."""
    cache = rich_cache.cache
    add_specials(cache / "wheels-v5" / "inner", "x")
    uv, version = user_uv(rich_cache)
    model = load_cache(str(cache), table_for(version))
    plan = plan_action(model, uv, version, ActionKind.PRUNE)
    plan.prediction.entries = [e for e in plan.prediction.entries if e.path != "wheels-v5"]
    missed = {"wheels-v5", *(f"wheels-v5/{p}" for p in all_paths(cache / "wheels-v5"))}

    result = run_action(plan, model, uv, audit_env=AUDIT)

    assert result.ok
    assert set(result.unpredicted) == missed
    assert "wheels-v5/inner/fifo-x" in result.unpredicted
    log = Path(audit_log_path(AUDIT)).read_text()
    assert '"unpredicted": ["wheels-v5"]' in log


def test_unresolvable_archive_link_blocks_prune(rich_cache: RichCache, tmp_path: Path) -> None:
    """uv stops with an error on a broken link in archive-v0 after deleting part of the cache:
    the preview says so and nothing runs."""
    cache = rich_cache.cache
    os.symlink(str(tmp_path / "gone"), cache / "archive-v0" / "broken")
    uv, version = user_uv(rich_cache)
    model = load_cache(str(cache), table_for(version))
    plan = plan_action(model, uv, version, ActionKind.PRUNE)
    assert plan.blockers and "archive-v0/broken" in plan.blockers[0]
    before = tree_signature(cache)
    with pytest.raises(ActionRefused):
        run_action(plan, model, uv, audit_env=AUDIT)
    result = cli("prune", str(cache), "--yes", env=cli_env(rich_cache, tmp_path))
    assert result.returncode == 2 and "archive-v0/broken" in result.stderr
    assert tree_signature(cache) == before


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[list[Path]]:
    """Unmounts whatever the test mounted, even when it fails."""
    points: list[Path] = []
    yield points
    for point in reversed(points):
        subprocess.run(["umount", "-l", str(point)], check=False)


def _mount(kind: str, point: Path, source: Path, mounted: list[Path]) -> None:
    point.mkdir(parents=True, exist_ok=True)
    if kind == "tmpfs":
        argv = ["mount", "-t", "tmpfs", "-o", "size=4m", "uvct-test", str(point)]
    else:
        argv = ["mount", "--bind", str(source), str(point)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"cannot mount in CI: {done.stderr.strip()}")
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    mounted.append(point)


@pytest.mark.parametrize("kind", ["tmpfs", "bind"])
def test_mount_point_inside_a_removed_entry_is_refused(
    rich_cache: RichCache, tmp_path: Path, mounted: list[Path], kind: str
) -> None:
    cache = rich_cache.cache
    source = rich_cache.env.base / "elsewhere"
    source.mkdir()
    point = cache / "wheels-v5" / "mnt"
    _mount(kind, point, source, mounted)
    (point / "precious.txt").write_text("lives on another filesystem")
    uv, version = user_uv(rich_cache)
    model = load_cache(str(cache), table_for(version))
    assert model.mount_points == ["wheels-v5/mnt"]
    plan = plan_action(model, uv, version, ActionKind.PRUNE)
    assert any(str(point) in b and "mount point" in b for b in plan.blockers)
    before = tree_signature(cache)
    with pytest.raises(ActionRefused):
        run_action(plan, model, uv, audit_env=AUDIT)
    for args in (["prune", str(cache), "--yes"], ["clean", str(cache), "--yes"]):
        result = cli(*args, env=cli_env(rich_cache, tmp_path))
        assert result.returncode == 2, result.stdout
        assert str(point) in result.stderr and "mount point" in result.stderr
    assert (point / "precious.txt").read_text() == "lives on another filesystem"
    assert tree_signature(cache) == before
    shown = cli("show", str(cache), env=cli_env(rich_cache, tmp_path))
    assert "wheels-v5/mnt" in shown.stdout
    # how the TUI shows it: tests/tui/test_mount_points.py


def test_mount_point_appearing_after_the_preview_is_refused(
    rich_cache: RichCache, tmp_path: Path, mounted: list[Path]
) -> None:
    cache = rich_cache.cache
    uv, version = user_uv(rich_cache)
    model = load_cache(str(cache), table_for(version))
    plan = plan_action(model, uv, version, ActionKind.CLEAR_ALL)
    assert plan.blockers == []
    point = cache / "archive-v0" / "late-mount"
    _mount("tmpfs", point, point, mounted)
    (point / "keep").write_text("k")
    with pytest.raises(ActionRefused, match="late-mount"):
        run_action(plan, model, uv, audit_env=AUDIT)
    assert (point / "keep").read_text() == "k"


def test_path_listing_sees_every_entry_type(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    add_specials(root / "a", "1")
    weird = os.fsencode(str(root / "a")) + b"/caf\xe9"
    os.mkdir(weird)
    with open(weird + b"/f", "w") as handle:
        handle.write("x")
    (root / "b").mkdir()
    (root / "b" / "keep").write_text("k")
    before = list_paths(str(root))
    shutil.rmtree(root / "a")
    gone = removed_paths(before, list_paths(str(root)))
    names = {os.fsencode(p) for p in gone}
    assert b"a/caf\xe9/f" in names and b"a/fifo-1" in names and b"a/root-1" in names
    assert len(gone) == 7
    assert outside(gone, ["a"]) == []
    assert outside(["b/keep", "ab"], ["a"]) == ["b/keep", "ab"]


def test_own_environment_entry_is_named_and_blocks(rich_cache: RichCache, tmp_path: Path) -> None:
    """The running tool's prefix inside the cache (as under uvx): the entry holding it is
    labelled, the plan is blocked, and running is refused."""
    cache = rich_cache.cache
    uv, version = user_uv(rich_cache)
    model = load_cache(str(cache), table_for(version))
    env_entry = next(p for p in all_paths(cache) if p.startswith("environments-v2/"))
    prefix = cache / env_entry
    plan = plan_action(model, uv, version, ActionKind.PRUNE, own_prefixes=[str(prefix)])
    own = [e for e in plan.prediction.entries if OWN_ENVIRONMENT in e.label]
    assert own and any(
        e.path == env_entry.split("/")[0] + "/" + env_entry.split("/")[1] for e in own
    )
    assert plan.blockers and "uv tool install" in plan.blockers[0]
    with pytest.raises(ActionRefused):
        run_action(plan, model, uv, audit_env=AUDIT)
    clean = plan_action(model, uv, version, ActionKind.PRUNE, own_prefixes=[str(tmp_path)])
    assert clean.blockers == []


def test_real_uvx_protects_its_own_environment(tmp_path: Path) -> None:
    """`uvx` runs uvcache-tui from an environment inside the cache: a prune of that cache is
    refused and names it; nothing in the cache changes."""
    source_cache = subprocess.run(
        [uv_binary(), "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not os.path.isdir(source_cache):
        pytest.skip("no uv cache to take the project's dependencies from offline")
    cache = tmp_path / "cache"
    subprocess.run(["cp", "-al", "--", source_cache, str(cache)], check=True)
    project = Path(__file__).resolve().parents[2]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("UV_", "VIRTUAL_ENV", "UVCACHE_TUI"))
    }
    env.update(UVCACHE_TUI_STATE_DIR=str(tmp_path / "state"), NO_COLOR="1")
    base = [
        uv_binary(),
        "tool",
        "run",
        "--cache-dir",
        str(cache),
        "--python",
        sys.executable,
        "--from",
        str(project),
        "uvcache-tui",
        "--uv",
        uv_binary(),
    ]
    # The wheels come from the copied cache; uv's index pages may not be there (`uv sync`
    # works from the lock file), so offline first, then with the index (PyPI is reachable
    # on the CI machines).
    for offline in ("1", "0"):
        env["UV_OFFLINE"] = offline
        warm = subprocess.run(
            [*base, "--version"], env=env, capture_output=True, text=True, timeout=600
        )
        if warm.returncode == 0:
            break
    else:
        pytest.skip(f"uvx cannot build the tool here: {warm.stderr.strip()[-300:]}")
    before = all_paths(cache)
    dry = subprocess.run(
        [*base, "prune", str(cache), "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert dry.returncode == 2, dry.stdout + dry.stderr
    assert OWN_ENVIRONMENT in dry.stdout and "uv tool install" in dry.stderr
    run = subprocess.run(
        [*base, "prune", str(cache), "--yes"], env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 2 and "uv tool install" in run.stderr
    assert all_paths(cache) == before
