"""The rescan after an action equals a full walk: on trees made here (hardlinks across removed
and kept dirs), and after every action of the action tests, run by the real uv releases."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import build_rich_cache
from tests.core.test_actions import user_uv
from tests.core.test_predict_versions import ACTIONS, build_versioned_cache
from tests.uv_releases import UV_RELEASES, release_binary
from uvcache_tui.core.action_run import run_action
from uvcache_tui.core.actions import plan_action
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import CacheModel, load_cache
from uvcache_tui.core.pathset import added_paths, list_paths, removed_paths
from uvcache_tui.core.predict import ActionKind
from uvcache_tui.core.report import cache_json
from uvcache_tui.core.scan import ScanResult, scan
from uvcache_tui.core.scan.rescan import FullWalkNeeded, TreeChange, rescan_after

Figures = dict[str, tuple[int, int, int, int, int, int, bool]]


def figures(result: ScanResult) -> Figures:
    """Every directory's figures, by relative path."""
    found: Figures = {}
    stack = [result.root]
    while stack:
        node = stack.pop()
        found[node.relpath()] = (
            node.sub_alloc,
            node.sub_apparent,
            node.sub_reclaim,
            node.sub_files,
            node.sub_dirs,
            node.own_files,
            node.complete,
        )
        stack.extend(node.iter_children())
    return found


def shared(result: ScanResult) -> list[tuple[int, int, bool, tuple[str, ...]]]:
    return sorted(
        (i.allocated, i.apparent, i.all_links_seen, tuple(sorted(n.relpath() for n in i.nodes)))
        for i in result.shared_inodes
    )


def assert_same_scan(rescanned: ScanResult, walked: ScanResult) -> None:
    assert figures(rescanned) == figures(walked)
    assert shared(rescanned) == shared(walked)
    assert rescanned.problems.total == walked.problems.total == 0
    assert not rescanned.cancelled


def model_json(model: CacheModel) -> str:
    return json.dumps(cache_json(model), sort_keys=True)


class Change:
    """Listings around a change made by the test, as `run_action` takes them around uv."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.before = scan(str(root))
        self.kept = figures(self.before)
        self.listing = list_paths(str(root))

    def rescan(self) -> ScanResult:
        after = list_paths(str(self.root))
        change = TreeChange(
            tuple(removed_paths(self.listing, after)), tuple(added_paths(self.listing, after))
        )
        try:
            return rescan_after(self.before, change)
        except FullWalkNeeded:
            assert figures(self.before) == self.kept, "nothing changes when it gives up"
            raise


def write(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


@pytest.fixture()
def linked_tree(tmp_path: Path) -> Path:
    """Files hardlinked between dirs that go and dirs that stay, and to outside the tree."""
    root = tmp_path / "root"
    for name, size in (("a/one", 5000), ("a/sub/two", 9000), ("b/three", 7000), ("c/x", 3)):
        write(root / name, size)
    shared_ab = write(root / "a/sub/ab", 12000)
    os.link(shared_ab, root / "b/ab")  # one link goes with a/, one stays: becomes b's own
    shared_abc = write(root / "a/abc", 20000)
    os.link(shared_abc, root / "b/abc")
    os.link(shared_abc, root / "c/abc")  # stays shared between b and c
    outside = write(tmp_path / "outside/o", 30000)
    os.link(outside, root / "a/out")  # its other link is outside: goes with a/
    kept_out = write(tmp_path / "outside/k", 4000)
    (root / "c/d").mkdir()
    os.link(kept_out, root / "c/d/kept")
    twice = write(root / "d/e/twice", 6000)
    os.link(twice, root / "d/e/twice2")  # two links in one dir that stays
    write(root / "top-file", 100)
    write(root / "f/plain", 1500)
    write(root / "f/g/x", 800)
    return root


def test_removing_dirs_with_links_across_equals_a_full_walk(linked_tree: Path) -> None:
    change = Change(linked_tree)
    assert len(change.before.shared_inodes) == 2
    shutil.rmtree(linked_tree / "a")
    rescanned = change.rescan()
    assert_same_scan(rescanned, scan(str(linked_tree)))
    assert [n for _a, _p, _s, n in shared(rescanned)] == [("b", "c")]


def test_files_removed_and_added_equal_a_full_walk(linked_tree: Path) -> None:
    write(linked_tree / "c/d/plain", 2000)
    change = Change(linked_tree)
    (linked_tree / "c/d/kept").unlink()  # linked from outside: was counted in c/d alone
    (linked_tree / "top-file").unlink()
    write(linked_tree / ".lock", 0)
    write(linked_tree / "CACHEDIR.TAG", 43)
    shutil.rmtree(linked_tree / "d/e")
    shutil.rmtree(linked_tree / "f/g")  # f keeps its own file
    assert_same_scan(change.rescan(), scan(str(linked_tree)))


def test_everything_removed_equals_a_full_walk(linked_tree: Path) -> None:
    change = Change(linked_tree)
    for entry in linked_tree.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    rescanned = change.rescan()
    assert_same_scan(rescanned, scan(str(linked_tree)))
    assert rescanned.root.sub_files == 0 and rescanned.shared_inodes == []


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda root: (root / "new-dir").mkdir(), "subdirectories"),
        (lambda root: (root / "b/three").unlink(), "linked elsewhere"),
        (lambda root: os.link(root / "top-file", root / "top-file2"), "several links"),
    ],
)
def test_what_cannot_be_exact_asks_for_a_full_walk(
    linked_tree: Path, make: object, reason: str
) -> None:
    change = Change(linked_tree)
    make(linked_tree)  # type: ignore[operator]
    with pytest.raises(FullWalkNeeded, match=reason):
        change.rescan()


def check_after_action(model: CacheModel, result_after: CacheModel | None, reason: str | None):
    assert result_after is not None
    walked = load_cache(model.path, model.table, active=model.active)
    assert_same_scan(result_after.scan, walked.scan)
    assert model_json(result_after) == model_json(walked)


@pytest.mark.parametrize(
    ("action", "packages"),
    [*ACTIONS, (ActionKind.CLEAN_PACKAGES, ["no-such-package"])],
)
def test_rescan_after_each_action_equals_a_full_walk(
    tmp_path: Path, action: ActionKind, packages: list[str]
) -> None:
    rich = build_rich_cache(tmp_path / "rich")
    uv, version = user_uv(rich)
    model = load_cache(str(rich.cache), table_for(version))
    plan = plan_action(model, uv, version, action, packages)
    result = run_action(plan, model, uv, audit_env={"UVCACHE_TUI_STATE_DIR": str(tmp_path)})
    assert result.ok, result.uv_output
    assert result.full_rescan is None
    check_after_action(model, result.after, result.full_rescan)


@pytest.mark.parametrize("version", UV_RELEASES)
@pytest.mark.parametrize(("action", "packages"), ACTIONS)
def test_rescan_after_each_release_and_action_equals_a_full_walk(
    tmp_path: Path, version: str, action: ActionKind, packages: list[str]
) -> None:
    built = build_versioned_cache(tmp_path / "env", release_binary(version))
    model = load_cache(str(built.cache), table_for(version))
    plan = plan_action(model, built.uv, version, action, packages)
    result = run_action(plan, model, built.uv, audit_env={"UVCACHE_TUI_STATE_DIR": str(tmp_path)})
    assert result.ok, result.uv_output
    if result.after is None:  # uv < 0.13.1 removes the root on clean: nothing to rescan
        assert action is ActionKind.CLEAR_ALL and not built.cache.exists()
        return
    assert result.full_rescan is None
    check_after_action(model, result.after, result.full_rescan)
