"""uv maintenance inside a cache mount filled by a real `uv sync`, on both engines.

The uv that runs is the one in the locally imported base image (there is no registry);
what it removed is measured by reading the mount again, independently of the tool's
own result: an export of the mount before and after, compared path by path.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from tests.core.buildkit.test_transfer import located, new_records
from tests.core.buildkit.transfer_scenarios import UvMount, build_uv_mount
from tests.dockerenv import Engine, Tracker
from uvcache_tui.core.actions import ActionRefused
from uvcache_tui.core.buildkit.cachekey import CacheKey
from uvcache_tui.core.buildkit.helper_build import NoSuchKey
from uvcache_tui.core.buildkit.mount_actions import (
    READ_BY_READER,
    READ_ON_DISK,
    plan_mount_action,
    run_mount_action,
)
from uvcache_tui.core.buildkit.mount_show import VIA_DISK, VIA_READER
from uvcache_tui.core.buildkit.transfer import export_mount
from uvcache_tui.core.buildkit.uv_helper import UvImageMissing, probe_uv_version
from uvcache_tui.core.pathset import list_paths, outermost, removed_paths
from uvcache_tui.core.predict import ActionKind

pytestmark = pytest.mark.docker


def exported(engine: Engine, mount: UvMount, into: Path) -> Path:
    """The mount as it is now, extracted into `into` (the independent witness)."""
    where, keys = located(mount)
    result = export_mount(where, keys, engine.busybox_image, into.with_suffix(".tar"))
    into.mkdir()
    with tarfile.open(result.path) as archive:
        archive.extractall(into, numeric_owner=True, filter="fully_trusted")
    return into


def run_in_mount(
    tracked: Tracker,
    tmp_path: Path,
    action: ActionKind,
    packages: tuple[str, ...] = (),
    via: str = VIA_READER,
) -> None:
    """Plan, run, and check that exactly the predicted paths disappeared."""
    engine = tracked.engine
    mount = build_uv_mount(tracked, tmp_path / "writer")
    copy_before = exported(engine, mount, tmp_path / "before")
    where, keys = located(mount)
    before_records = engine.record_ids()
    planned = plan_mount_action(
        where,
        keys,
        action,
        packages,
        uv_image=engine.base_image,
        reader_image=engine.busybox_image,
        via=via,
        timeout=300,
    )
    assert planned.before.read == (READ_BY_READER if via == VIA_READER else READ_ON_DISK)
    assert planned.plan.uv_version == "0.13.9"
    assert planned.plan.argv[:4] == ["uv", "cache", action.value.split("-")[0], "--cache-dir"]
    assert planned.plan.argv[4] == planned.key.target
    predicted = sorted(e.path for e in planned.plan.prediction.entries)
    assert predicted, "the scenario must give uv something to remove"
    assert new_records(engine, before_records) == []

    audit = tmp_path / "state"
    done = run_mount_action(planned, audit_env={"UVCACHE_TUI_STATE_DIR": str(audit)})
    result = done.result
    assert result.uv_exit_code == 0, result.uv_output
    assert new_records(engine, before_records) == []
    assert all(not run.cleanup.left for run in done.helper_runs)

    # the witness: an export before and after, compared outside the tool's own measurement
    copy_after = exported(engine, mount, tmp_path / "after")
    went = removed_paths(list_paths(str(copy_before)), list_paths(str(copy_after)))
    assert outermost(went) == predicted
    assert result.unpredicted == [] and result.still_present == []
    assert outermost(result.removed) == predicted
    assert result.freed_bytes == planned.plan.prediction.totals.reclaimable
    lines = (audit / "audit.log").read_text().splitlines()
    assert len(lines) == 2 and '"status": "started"' in lines[0] and '"done"' in lines[1]
    assert where.mount.id in lines[1] and "--cache-dir" in lines[1]


def readable_on_disk(via: str) -> None:
    if via == VIA_DISK and os.geteuid() != 0:
        pytest.skip("the mount's directory is readable by root only")


@pytest.mark.parametrize("via", [VIA_READER, VIA_DISK])
def test_prune_ci_removes_exactly_the_preview(tracked: Tracker, tmp_path: Path, via: str) -> None:
    readable_on_disk(via)
    run_in_mount(tracked, tmp_path, ActionKind.PRUNE_CI, via=via)


@pytest.mark.parametrize("via", [VIA_READER, VIA_DISK])
def test_clean_package_removes_exactly_the_preview(
    tracked: Tracker, tmp_path: Path, via: str
) -> None:
    readable_on_disk(via)
    run_in_mount(tracked, tmp_path, ActionKind.CLEAN_PACKAGES, ("uvcttiny",), via=via)


def test_bad_names_key_and_image_are_refused(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mount = build_uv_mount(tracked, tmp_path / "writer")
    where, keys = located(mount)
    before = engine.record_ids()
    common = {
        "uv_image": engine.base_image,
        "reader_image": engine.busybox_image,
        "via": VIA_READER,
        "timeout": 300.0,
    }
    for name in ("--verbose", "-v", "uvct\udcff"):
        with pytest.raises(ActionRefused, match="is not a package name"):
            plan_mount_action(where, keys, ActionKind.CLEAN_PACKAGES, (name,), **common)
    with pytest.raises(NoSuchKey, match="no cache with that key"):
        plan_mount_action(where, (CacheKey(mount.cache_id + "-nope"),), ActionKind.PRUNE, **common)
    with pytest.raises(UvImageMissing, match="--uv-image") as caught:
        probe_uv_version(where.resolved, "uvct-no-such-uv-image:1")
    assert "UVCACHE_TUI_UV_IMAGE" in str(caught.value)
    assert new_records(engine, before) == []
    assert os.listdir(tmp_path) == ["writer"]
