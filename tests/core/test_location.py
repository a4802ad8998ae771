"""Opening a location (core/location.py): one rule for what counts as a cache (empty ones
included) and one list of protected dirs, read by both front ends: the CLI and the TUI
answer the same for the same directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import RichCache
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.cache_dir import NotACacheError, check_cache_dir
from uvcache_tui.core.locate import Discovery
from uvcache_tui.core.location import LocationStatus, open_location
from uvcache_tui.core.model import Location, LocationKind
from uvcache_tui.core.predict import clean_packages_sizes

SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55\n"


def _dir(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    root = tmp_path / name
    root.mkdir()
    for file, text in files.items():
        (root / file).write_text(text)
    return root


CASES = {
    # name: (files, accepted as the active cache, accepted given explicitly)
    "emptied by uv cache clean": ({".lock": ""}, True, False),
    "bare root": ({}, True, False),
    "root before its first bucket": ({"CACHEDIR.TAG": SIGNATURE, "tmp.txt": "x"}, True, False),
    "a venv": ({"CACHEDIR.TAG": SIGNATURE, "pyvenv.cfg": "home = /usr"}, False, False),
    "foreign files, no tag": ({"notes.txt": "mine"}, False, False),
    "wrong tag and foreign files": ({"CACHEDIR.TAG": "Signature: nope\n", "a": ""}, False, False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_empty_cache_rule_is_the_same_for_cli_and_tui(tmp_path: Path, case: str) -> None:
    files, as_active, as_explicit = CASES[case]
    root = _dir(tmp_path, "cache", files)
    for active, expected in ((True, as_active), (False, as_explicit)):
        try:
            check_cache_dir(str(root), active=active)
            core_accepts = True
        except NotACacheError:
            core_accepts = False
        assert core_accepts is expected, (case, active)
        location = Location(LocationKind.CACHE, str(root), "test", active=active)
        outcome = open_location(location, table_for("0.13.9"))
        assert (outcome.status is not LocationStatus.ERROR) is expected, (case, active)
        env = dict(os.environ, UV_CACHE_DIR=str(root), HOME=str(tmp_path))
        argv = ["show", "--json"] if active else ["show", "--json", str(root)]
        cli = subprocess.run(
            [sys.executable, "-m", "uvcache_tui", *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert (cli.returncode == 0) is expected, (case, active, cli.stderr)


def test_protected_paths_are_the_data_dirs() -> None:
    discovery = Discovery(
        locations=[
            Location(LocationKind.CACHE, "/c", "default", active=True),
            Location(LocationKind.PYTHON, "/p", "default"),
            Location(LocationKind.TOOLS, "/t", "default"),
            Location(LocationKind.CACHE, "/other", "--cache-dir"),
        ]
    )
    assert discovery.protected_paths == ["/p", "/t"]


def test_load_cache_computes_every_package_size(rich_cache_template: RichCache) -> None:
    """The model arrives with its package sizes: no front end walks to show a row."""
    model = load_cache(str(rich_cache_template.cache), table_for("0.13.9"))
    calls: list[object] = []
    original = model.scan.selection_sizes

    def counting(nodes: object) -> object:
        calls.append(nodes)
        return original(nodes)  # type: ignore[arg-type]

    model.scan.selection_sizes = counting  # type: ignore[method-assign]
    sizes = [model.package_sizes(package) for package in model.packages]
    assert calls == [] and len(sizes) == len(model.packages) > 0
    # Together they are measured as cleaning them would free (a prediction), which walks.
    clean_packages_sizes(model, [package.name for package in model.packages])
    assert calls


def test_an_emptied_active_cache_can_be_planned(tmp_path: Path) -> None:
    """The model remembers it was opened as the active cache, so planning (which checks the
    path again) answers by the same rule instead of calling it "not a uv cache"."""
    root = _dir(tmp_path, "cache", {".lock": ""})
    env = dict(os.environ, UV_CACHE_DIR=str(root), HOME=str(tmp_path))
    cli = subprocess.run(
        [sys.executable, "-m", "uvcache_tui", "prune", "--dry-run", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["entries"] == []
    # Given explicitly, the same dir is refused, by the same rule, before anything runs.
    cli = subprocess.run(
        [sys.executable, "-m", "uvcache_tui", "prune", "--dry-run", str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 2 and "not a uv cache" in cli.stderr


def test_open_location_outcomes(tmp_path: Path) -> None:
    table = table_for("0.13.9")
    missing = str(tmp_path / "nope")
    active = Location(LocationKind.CACHE, missing, "default", active=True)
    assert open_location(active, table).status is LocationStatus.MISSING
    extra = Location(LocationKind.CACHE, missing, "--cache-dir")
    outcome = open_location(extra, table)
    assert outcome.status is LocationStatus.ERROR and "no such file" in (outcome.error or "")
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    outcome = open_location(Location(LocationKind.CACHE, str(plain_dir), "--cache-dir"), table)
    assert outcome.status is LocationStatus.ERROR and "not a uv cache" in (outcome.error or "")
    # The active cache with only its tag (emptied, or just created) is shown, not refused.
    (plain_dir / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    outcome = open_location(Location(LocationKind.CACHE, str(plain_dir), "default", True), table)
    assert outcome.status is LocationStatus.DONE and outcome.model is not None
    data = Location(LocationKind.TOOLS, str(plain_dir), "uv tool dir")
    outcome = open_location(data, table)
    assert outcome.status is LocationStatus.DONE and outcome.model is None
    assert outcome.result is not None and outcome.result.root.sub_files == 1
    stopped = open_location(data, table, cancelled=lambda: True)
    assert stopped.status is LocationStatus.PARTIAL


def test_open_location_on_a_real_cache_warms_package_sizes(
    rich_cache_template: RichCache,
) -> None:
    location = Location(LocationKind.CACHE, str(rich_cache_template.cache), "--cache-dir")
    outcome = open_location(location, table_for("0.13.9"))
    assert outcome.status is LocationStatus.DONE and outcome.model is not None
    model = outcome.model
    assert {p.name for p in model.packages} == {"alpha", "beta", "delta-pkg", "gamma"}
    assert set(model._package_sizes) == {p.name for p in model.packages}
