"""Prediction == result for several real uv releases, and the version gates checked on them.

Each release writes its own cache (its bucket names, its link style) and then runs its own
`uv cache prune`/`clean` through the core; what the preview listed must be exactly what
disappeared. The releases come from PyPI (see tests/uv_releases.py).
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.core.test_actions import all_paths, expand, tree_signature
from tests.uv_releases import AROUND_0_8_2X, NEWEST, OLD, UV_RELEASES, release_binary
from tests.uvcache_factory import (
    UvEnv,
    add_history,
    hold_cache_lock,
    make_sdist,
    make_wheel,
    uv_binary,
)
from uvcache_tui.core.action_run import run_action
from uvcache_tui.core.actions import (
    FORCE_SINCE,
    LOCK_TIMEOUT_SINCE,
    ActionRefused,
    build_argv,
    plan_action,
    supports_force,
)
from uvcache_tui.core.buckets import FAMILIES, parse_version, table_for
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.lock import LockState, probe_lock
from uvcache_tui.core.predict import PYTHON_BUCKET_PRUNE_FIXED, ActionKind
from uvcache_tui.core.uvbin import UvBinary


@dataclass
class VersionedCache:
    """A cache written by one uv release, and that release to act on it."""

    env: UvEnv
    uv: UvBinary
    version: str

    @property
    def cache(self) -> Path:
        return self.env.cache


def build_versioned_cache(base: Path, uv_path: str) -> VersionedCache:
    """Hardlinked and symlinked venvs, an sdist build, a cached environment, a dangling
    archive, a stale source revision, stale and foreign top-level entries, python-vN
    buckets, a leftover build env and a flat-index page, all written by `uv_path`."""
    env = UvEnv(base, uv_path=uv_path)
    uv = UvBinary(uv_path, env=env.env())
    version = uv.version()
    make_wheel(env.links, "alpha", "1.0")
    make_wheel(env.links, "beta", "0.5", modules=6)
    make_wheel(env.links, "delta-pkg", "0.1.0", modules=2)
    make_sdist(env.links, "gamma", "3.1")
    hard = env.venv("venv-hard")
    env.install(hard, "alpha==1.0", "beta", "gamma")
    env.install(env.venv("venv-sym"), "delta-pkg", link_mode="symlink")
    add_history(env, hard)
    _add_entries_uv_did_not_write(env.cache, version)
    return VersionedCache(env, uv, version)


def _add_entries_uv_did_not_write(cache: Path, version: str) -> None:
    """What other uv releases, other tools, crashed builds and index pages leave behind."""
    table = table_for(version)
    outside = cache.parent / "outside-target"
    outside.mkdir()
    (outside / "precious.txt").write_text("must survive")
    simple = cache / str(table.family_name("simple"))
    simple.mkdir(exist_ok=True)
    (simple / "outside-link").symlink_to(outside)
    wheels = cache / str(table.family_name("wheels"))
    stale_number = int(wheels.name.rsplit("-v", 1)[1]) - 1
    shutil.copytree(wheels, cache / f"wheels-v{stale_number}", symlinks=True)
    (cache / "stray-file.txt").write_text("not uv's\n" * 500)
    (cache / "not-a-bucket").mkdir()
    (cache / "not-a-bucket" / "data.bin").write_bytes(b"\0" * 20000)
    for name in {"python-v0", table.family_name("python") or "python-v0"}:
        (cache / name / "downloads-json").mkdir(parents=True, exist_ok=True)
        (cache / name / "downloads-json" / "list.msgpack").write_bytes(b"\x90")
    for family, leftover in (("builds", ".tmpLeftover/lib"), ("flat-index", "html")):
        bucket = cache / (table.family_name(family) or f"{family}-v0")
        (bucket / leftover).mkdir(parents=True, exist_ok=True)
        (bucket / leftover / "entry.msgpack").write_bytes(b"\x90" * 100)


ACTIONS = [
    (ActionKind.PRUNE, []),
    (ActionKind.PRUNE_CI, []),
    (ActionKind.CLEAN_PACKAGES, ["alpha"]),
    (ActionKind.CLEAN_PACKAGES, ["Gamma", "beta"]),
    (ActionKind.CLEAR_ALL, []),
]


@pytest.mark.parametrize("version", UV_RELEASES)
@pytest.mark.parametrize(("action", "packages"), ACTIONS)
def test_prediction_is_what_this_uv_removes(
    tmp_path: Path, version: str, action: ActionKind, packages: list[str]
) -> None:
    built = build_versioned_cache(tmp_path / "env", release_binary(version))
    assert built.version == version
    cache = built.cache
    model = load_cache(str(cache), table_for(version))
    plan = plan_action(model, built.uv, version, action, packages)
    predicted = expand(cache, plan.prediction)
    before = all_paths(cache)
    outside_before = _outside_the_cache(tmp_path / "env", cache)
    assert any(path.startswith("venv-hard" + os.sep) for path in outside_before)

    result = run_action(plan, model, built.uv, audit_env={"UVCACHE_TUI_STATE_DIR": str(tmp_path)})

    assert result.ok, result.uv_output
    assert result.unpredicted == [], result.uv_output
    assert result.still_present == [], result.uv_output
    assert before - all_paths(cache) == predicted == set(result.removed)
    assert result.cache_shrink_bytes == plan.prediction.shrink_bytes
    assert result.freed_bytes == plan.prediction.totals.reclaimable
    assert (tmp_path / "env" / "outside-target" / "precious.txt").read_text() == "must survive"
    # Nothing outside the cache moved: venvs, wheels, the symlink's target.
    assert _outside_the_cache(tmp_path / "env", cache) == outside_before


def _outside_the_cache(base: Path, cache: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under `base` but the cache (its root too: old uv removes it on clean)."""
    name = cache.relative_to(base).parts[0]
    return {
        path: entry
        for path, entry in tree_signature(base).items()
        if path != name and not path.startswith(name + os.sep)
    }


def _every_candidate_bucket(cache: Path) -> None:
    """A cache holding every name a uv bucket ever had (and some it may get)."""
    cache.mkdir(parents=True)
    (cache / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55")
    for family in (*FAMILIES, "built-wheels"):
        for number in range(33):
            (cache / f"{family}-v{number}").mkdir()


@pytest.mark.parametrize("version", UV_RELEASES)
def test_bucket_names_are_this_uvs(tmp_path: Path, version: str) -> None:
    """`uv cache prune` keeps exactly the buckets its release knows: the table must agree,
    and so must the prediction (with the python-vN bug before 0.11.21)."""
    env = UvEnv(tmp_path, uv_path=release_binary(version))
    _every_candidate_bucket(env.cache)
    uv = UvBinary(release_binary(version), env=env.env())
    table = table_for(version)
    model = load_cache(str(env.cache), table)
    plan = plan_action(model, uv, version, ActionKind.PRUNE)

    result = run_action(plan, model, uv, audit_env={"UVCACHE_TUI_STATE_DIR": str(tmp_path)})

    assert result.ok and result.unpredicted == [] and result.still_present == []
    survivors = {p.name for p in env.cache.iterdir() if p.is_dir()}
    python_pruned = parse_version(version) < PYTHON_BUCKET_PRUNE_FIXED
    expected = {n for n in table.names if not (python_pruned and n.startswith("python-"))}
    assert table.exact and survivors == expected


def _small_cache(base: Path, version: str) -> tuple[UvEnv, UvBinary]:
    env = UvEnv(base, uv_path=release_binary(version))
    make_wheel(env.links, "alpha", "1.0")
    env.install(env.venv("venv"), "alpha")
    (env.cache / "not-a-bucket").mkdir()
    return env, UvBinary(release_binary(version), env=env.env())


@pytest.mark.parametrize("version", UV_RELEASES)
@pytest.mark.parametrize("action", list(FORCE_SINCE))
def test_force_is_offered_where_this_uv_has_it(
    tmp_path: Path, version: str, action: ActionKind
) -> None:
    """Planning with --force is refused exactly where the real uv rejects the flag."""
    env, uv = _small_cache(tmp_path, version)
    packages = ["alpha"] if action is ActionKind.CLEAN_PACKAGES else []
    model = load_cache(str(env.cache), table_for(version))
    if not supports_force(version, action):
        with pytest.raises(ActionRefused, match="no --force"):
            plan_action(model, uv, version, action, packages, force=True)
        argv = build_argv(uv, action, str(env.cache), packages, force=True)
        rejected = uv.run(argv[1:])
        assert rejected.returncode == 2 and "--force" in rejected.stderr, rejected.stderr
        assert (env.cache / "not-a-bucket").is_dir()
        return
    plan = plan_action(model, uv, version, action, packages, force=True)
    result = run_action(plan, model, uv, audit_env={"UVCACHE_TUI_STATE_DIR": str(tmp_path)})
    assert result.ok and result.unpredicted == [] and result.still_present == []
    assert result.removed, result.uv_output


@pytest.mark.parametrize("version", UV_RELEASES)
def test_running_uv_holds_off_the_action_where_this_uv_locks(tmp_path: Path, version: str) -> None:
    """From 0.8.20 a running `uv run` holds the cache lock and prune waits for it (giving up
    after UV_LOCK_TIMEOUT only from 0.9.16: 0.8.22 waits uv's 300 s, so we stop it). 0.8.19
    has the lock but `uv run` lets go of it; before 0.8.19 there is no lock at all."""
    env, uv = _small_cache(tmp_path, version)
    if parse_version(version) < (0, 8, 20):
        has_lock = parse_version(version) >= (0, 8, 19)
        assert (env.cache / ".lock").exists() is has_lock
        state = probe_lock(str(env.cache)).state
        assert state is (LockState.FREE if has_lock else LockState.MISSING)
        return
    holder = hold_cache_lock(env)
    stop = threading.Event()
    timer = threading.Timer(4, stop.set)
    try:
        model = load_cache(str(env.cache), table_for(version))
        plan = plan_action(model, uv, version, ActionKind.PRUNE, lock_timeout=1)
        assert plan.lock.state is LockState.HELD
        audit = {"UVCACHE_TUI_STATE_DIR": str(tmp_path)}
        assert run_action(plan, model, uv, audit_env=audit).lock_busy
        timer.start()
        waited = run_action(plan, model, uv, audit_env=audit, wait=True, cancel=stop)
    finally:
        timer.cancel()
        holder.terminate()
        holder.wait(10)
    assert waited.removed == [] and (env.cache / "not-a-bucket").is_dir()
    if parse_version(version) >= (0, 9, 16):
        assert waited.lock_busy and not waited.interrupted
    else:
        assert waited.interrupted


@pytest.mark.parametrize("version", UV_RELEASES)
def test_the_preview_says_what_this_uvs_locking_means(tmp_path: Path, version: str) -> None:
    """The warnings follow what the real release does (the test above): no `.lock` at all
    before 0.8.19; UV_LOCK_TIMEOUT ignored (a 300 s wait) before 0.9.16; else nothing."""
    env, uv = _small_cache(tmp_path, version)
    plan = plan_action(
        load_cache(str(env.cache), table_for(version)), uv, version, ActionKind.PRUNE
    )
    has_lock = (env.cache / ".lock").exists()
    lock_text = [w for w in plan.warnings if "lock" in w.lower()]
    if not has_lock:
        assert lock_text and "does not lock the cache" in lock_text[0]
    elif parse_version(version) < LOCK_TIMEOUT_SINCE:
        assert lock_text and "ignores UV_LOCK_TIMEOUT" in lock_text[0]
    else:
        assert lock_text == []


def test_the_newest_release_tested_is_not_older_than_the_dev_uv() -> None:
    """The newest release here must follow the dev group's uv when it is bumped."""
    dev = UvBinary(uv_binary()).version()
    assert parse_version(NEWEST) >= parse_version(dev)
    assert parse_version(OLD) < (0, 8, 4) <= parse_version(AROUND_0_8_2X) < (0, 9, 0)
