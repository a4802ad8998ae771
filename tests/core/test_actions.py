"""Prediction == result: every action runs the real uv on a real cache, and what the preview
listed must be exactly what disappeared, and the predicted reclaimable bytes exactly what
the disk got back."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import RichCache
from tests.uvcache_factory import UvEnv, hold_cache_lock, make_wheel, uv_binary
from uvcache_tui.core.action_run import describe_result, is_lock_timeout, run_action
from uvcache_tui.core.actions import ActionRefused, plan_action
from uvcache_tui.core.audit import audit_log_path
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.predict import ActionKind, Prediction
from uvcache_tui.core.uvbin import UvBinary

NESTED_PARENTHESES = re.compile(r"\([^()]*\(")
"""`(held by pid 12 (uv))`: a parenthesis opened inside another."""


def all_paths(root: Path) -> set[str]:
    found: set[str] = set()
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found


def expand(root: Path, prediction: Prediction) -> set[str]:
    """Every path under the predicted entries (each entry included)."""
    paths: set[str] = set()
    for entry in prediction.entries:
        paths.add(entry.path)
        if entry.is_dir:
            paths.update(os.path.join(entry.path, sub) for sub in all_paths(root / entry.path))
    return paths


def tree_signature(root: Path) -> dict[str, tuple[int, int, int]]:
    signature = {}
    for path in all_paths(root):
        st = os.lstat(root / path)
        signature[path] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return signature


def user_uv(rc: RichCache) -> tuple[UvBinary, str]:
    uv = UvBinary(uv_binary(), env=rc.env.env())
    return uv, uv.version()


@pytest.mark.parametrize(
    ("action", "packages"),
    [
        (ActionKind.PRUNE, []),
        (ActionKind.PRUNE_CI, []),
        (ActionKind.CLEAN_PACKAGES, ["alpha"]),
        (ActionKind.CLEAN_PACKAGES, ["Gamma", "beta"]),
        (ActionKind.CLEAN_PACKAGES, ["no-such-package"]),
        (ActionKind.CLEAR_ALL, []),
    ],
)
def test_prediction_is_what_uv_removes(
    rich_cache: RichCache, tmp_path: Path, action: ActionKind, packages: list[str]
) -> None:
    cache = rich_cache.cache
    uv, version = user_uv(rich_cache)
    model = load_cache(str(cache), table_for(version))
    plan = plan_action(model, uv, version, action, packages)
    predicted = expand(cache, plan.prediction)
    before = all_paths(cache)
    outside = rich_cache.env.base / "outside-target" / "precious.txt"

    result = run_action(plan, model, uv, audit_env={"UVCACHE_TUI_STATE_DIR": str(tmp_path)})

    assert result.ok, result.uv_output
    disappeared = before - all_paths(cache)
    assert disappeared == predicted
    assert result.still_present == [] and result.unpredicted == []
    assert result.cache_shrink_bytes == plan.prediction.shrink_bytes
    assert result.freed_bytes == plan.prediction.totals.reclaimable
    assert outside.read_text() == "must survive"
    if action is not ActionKind.CLEAR_ALL:
        assert any(p.endswith("outside-link") for p in all_paths(cache))
    assert result.removed_line is None or result.removed_line.startswith("Removed")
    log = Path(audit_log_path({"UVCACHE_TUI_STATE_DIR": str(tmp_path)})).read_text()
    assert plan.command in log and f'"freed_bytes": {result.freed_bytes}' in log


def test_prune_prediction_names_things(rich_cache_template: RichCache) -> None:
    uv, version = user_uv(rich_cache_template)
    model = load_cache(str(rich_cache_template.cache), table_for(version))
    plan = plan_action(model, uv, version, ActionKind.PRUNE)
    kinds = {e.kind for e in plan.prediction.entries}
    assert kinds == {"stale-bucket", "foreign", "environment", "dangling-archive", "stale-revision"}
    labels = " ".join(e.label for e in plan.prediction.entries)
    assert "alpha-1.0" in labels and "environment" in labels
    assert plan.command.startswith("UV_LOCK_TIMEOUT=10 ")
    assert "cache prune" in plan.command and "--force" not in plan.command


def test_older_uv_would_delete_newer_buckets(rich_cache_template: RichCache) -> None:
    uv, _version = user_uv(rich_cache_template)
    model = load_cache(str(rich_cache_template.cache), table_for("0.10.0"))
    plan = plan_action(model, uv, "0.10.0", ActionKind.PRUNE)
    assert plan.confirm_reasons and "wheels-v8" in plan.confirm_reasons[0]


def test_symlink_link_mode_warns(rich_cache_template: RichCache) -> None:
    uv, version = user_uv(rich_cache_template)
    model = load_cache(str(rich_cache_template.cache), table_for(version))
    plan = plan_action(
        model, uv, version, ActionKind.PRUNE, env={"UV_LINK_MODE": "symlink", "HOME": "/nowhere"}
    )
    assert any("symlink" in w for w in plan.warnings)


def test_refuses_non_cache_and_data_dirs(rich_cache_template: RichCache, tmp_path: Path) -> None:
    uv, version = user_uv(rich_cache_template)
    model = load_cache(str(rich_cache_template.cache), table_for(version))
    with pytest.raises(ActionRefused, match="uv data"):
        plan_action(model, uv, version, ActionKind.PRUNE, protected=[str(model.path)])
    not_cache = load_cache(str(rich_cache_template.hardlink_venv), table_for(version))
    with pytest.raises(ActionRefused, match="not a uv cache"):
        plan_action(not_cache, uv, version, ActionKind.PRUNE)
    with pytest.raises(ActionRefused, match="package name"):
        plan_action(model, uv, version, ActionKind.CLEAN_PACKAGES, [])


def test_running_uv_blocks_then_action_succeeds(tmp_path: Path) -> None:
    env = UvEnv(tmp_path)
    make_wheel(env.links, "alpha", "1.0")
    venv = env.venv("v")
    env.install(venv, "alpha")
    (env.cache / "junk-dir").mkdir()
    uv = UvBinary(uv_binary(), env=env.env())
    version = uv.version()
    holder = hold_cache_lock(env)
    try:
        model = load_cache(str(env.cache), table_for(version))
        plan = plan_action(model, uv, version, ActionKind.PRUNE)
        assert any("in use" in w and f"pid {holder.pid}" in w for w in plan.warnings), plan.warnings
        signature = tree_signature(env.cache)
        result = run_action(plan, model, uv, audit_env={"UVCACHE_TUI_STATE_DIR": str(tmp_path)})
        assert not result.ran and result.lock_busy
        assert tree_signature(env.cache) == signature
        said = describe_result(result)[0]
        assert f"held by pid {holder.pid}" in said
        assert not NESTED_PARENTHESES.search(said), said
    finally:
        holder.terminate()
        holder.wait(10)
    model = load_cache(str(env.cache), table_for(version))
    plan = plan_action(model, uv, version, ActionKind.PRUNE)
    result = run_action(plan, model, uv, audit_env={"UVCACHE_TUI_STATE_DIR": str(tmp_path)})
    assert result.ok and not (env.cache / "junk-dir").exists()


def test_uv_lock_timeout_is_recognised(tmp_path: Path) -> None:
    """If uv starts after our probe, uv's own exit 2 + timeout message means "uv is running"."""
    env = UvEnv(tmp_path)
    make_wheel(env.links, "alpha", "1.0")
    env.install(env.venv("v"), "alpha")
    holder = hold_cache_lock(env)
    try:
        out = subprocess.run(
            [uv_binary(), "cache", "prune", "--cache-dir", str(env.cache)],
            env=env.env(UV_LOCK_TIMEOUT="1"),
            capture_output=True,
            text=True,
        )
    finally:
        holder.terminate()
        holder.wait(10)
    assert is_lock_timeout(out.returncode, out.stderr)
    assert not is_lock_timeout(0, out.stderr)


def test_prediction_follows_the_uv_version(rich_cache: RichCache) -> None:
    """uv < 0.11.21 prunes its own python-vN bucket (uv#19795); later releases keep it."""
    (rich_cache.cache / "python-v0").mkdir()
    uv, _version = user_uv(rich_cache)
    old = load_cache(str(rich_cache.cache), table_for("0.11.0"))
    fixed = load_cache(str(rich_cache.cache), table_for("0.12.5"))
    old_paths = {
        e.path for e in plan_action(old, uv, "0.11.0", ActionKind.PRUNE).prediction.entries
    }
    fixed_plan = plan_action(fixed, uv, "0.12.5", ActionKind.PRUNE)
    assert "python-v0" in old_paths
    assert "python-v0" not in {e.path for e in fixed_plan.prediction.entries}
    # 0.12.5 uses wheels-v6: the cache's wheels-v8 belongs to a newer uv.
    assert any("wheels-v8" in reason for reason in fixed_plan.confirm_reasons)


def test_force_only_where_uv_has_it(rich_cache_template: RichCache) -> None:
    uv, version = user_uv(rich_cache_template)
    model = load_cache(str(rich_cache_template.cache), table_for(version))
    assert "--force" in plan_action(model, uv, version, ActionKind.PRUNE, force=True).argv
    with pytest.raises(ActionRefused, match="no --force"):
        plan_action(model, uv, "0.8.19", ActionKind.PRUNE, force=True)
