"""`prune` / `clean` from the command line, as scripts and CI run them (no terminal)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.test_cli import run_cli
from tests.conftest import RichCache
from tests.core.test_actions import all_paths, tree_signature
from tests.uvcache_factory import du_bytes
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted


def _env(rc: RichCache, tmp_path: Path) -> dict[str, str]:
    return dict(rc.env.env(), UVCACHE_TUI_STATE_DIR=str(tmp_path / "state"))


def test_dry_run_json_predicts_and_changes_nothing(rich_cache: RichCache, tmp_path: Path) -> None:
    signature = tree_signature(rich_cache.cache)
    result = run_cli(
        "prune", str(rich_cache.cache), "--dry-run", "--json", env=_env(rich_cache, tmp_path)
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["command"].endswith(f"cache prune --cache-dir {rich_cache.cache} --verbose")
    assert {"path", "kind", "allocated_bytes", "reclaimable_bytes"} <= set(document["entries"][0])
    assert document["totals"]["reclaimable_bytes"] > 0
    assert tree_signature(rich_cache.cache) == signature
    assert not (tmp_path / "state").exists()


def test_refuses_without_yes_and_without_terminal(rich_cache: RichCache, tmp_path: Path) -> None:
    signature = tree_signature(rich_cache.cache)
    for args in (["prune"], ["clean"], ["clean", "--package", "alpha"]):
        result = run_cli(*args, str(rich_cache.cache), env=_env(rich_cache, tmp_path))
        assert result.returncode == 2, args
        assert "pass --yes" in result.stderr
    assert tree_signature(rich_cache.cache) == signature


def test_clean_package_with_yes_reports_freed(rich_cache: RichCache, tmp_path: Path) -> None:
    before = du_bytes(rich_cache.cache)
    result = run_cli(
        "clean",
        str(rich_cache.cache),
        "--package",
        "alpha",
        "--yes",
        "--json",
        env=_env(rich_cache, tmp_path),
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["uv_exit_code"] == 0
    assert document["freed_bytes"] == document["totals"]["reclaimable_bytes"]
    assert document["cache_shrink_bytes"] == before - du_bytes(rich_cache.cache)
    assert document["uv_removed_line"].startswith("Removed")
    assert not any("/alpha" in p for p in all_paths(rich_cache.cache) if p.startswith("wheels-v8"))
    log = (tmp_path / "state" / "audit.log").read_text().splitlines()
    assert json.loads(log[-1])["uv_exit_code"] == 0


def test_prune_ci_human_output(rich_cache: RichCache, tmp_path: Path) -> None:
    result = run_cli(
        "prune", str(rich_cache.cache), "--ci", "--yes", env=_env(rich_cache, tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "pre-built wheels" in result.stdout
    assert "uv says: Removed" in result.stdout and "Freed" in result.stdout


def test_actions_refuse_bad_targets(rich_cache_template: RichCache, tmp_path: Path) -> None:
    env = _env(rich_cache_template, tmp_path)
    result = run_cli("prune", str(rich_cache_template.hardlink_venv), "--yes", env=env)
    assert result.returncode == 2 and "not a uv cache" in result.stderr
    result = run_cli("prune", str(tmp_path / "nope"), "--dry-run", env=env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_no_uv_means_no_actions(rich_cache_template: RichCache, tmp_path: Path) -> None:
    """uv does the deleting: without a uv (none on PATH, or a `--uv` that is not one) the
    action is refused with its own reason, before anything is planned."""
    env = dict(os.environ, PATH="/nonexistent", UVCACHE_TUI_STATE_DIR=str(tmp_path / "state"))
    cache = str(rich_cache_template.cache)
    result = run_cli("prune", cache, "--dry-run", env=env, uv_on_path=False)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "uvcache-tui: no uv found: uv does the deleting; put uv on PATH or pass --uv PATH\n"
    )
    result = run_cli("--uv", "/bin/false", "prune", cache, "--dry-run", env=env, uv_on_path=False)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("uvcache-tui: `/bin/false --version` failed (exit 1)"), line
    assert not (tmp_path / "state").exists()


def test_text_preview_states_the_json_totals(
    rich_cache_template: RichCache, tmp_path: Path
) -> None:
    """The preview's sentence (the one the TUI shows too) carries the prediction's figures."""
    env = _env(rich_cache_template, tmp_path)
    cache = str(rich_cache_template.cache)
    document = json.loads(run_cli("prune", cache, "--dry-run", "--json", env=env).stdout)
    text = run_cli("prune", cache, "--dry-run", env=env)
    assert text.returncode == 0, text.stderr
    totals = document["totals"]
    assert (
        f"\nWill remove {counted(len(document['entries']), 'entry')}, "
        f"{format_size(totals['allocated_bytes'])} allocated, {counted(totals['files'], 'file')}. "
        f"Frees {format_size(totals['reclaimable_bytes'])}; the rest stays linked" in text.stdout
    )
    assert text.stdout.startswith(f"Prune: {cache} (uv {document['uv_version']})\n")
