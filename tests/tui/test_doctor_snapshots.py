"""SVG snapshots of the Doctor view (pytest-textual-snapshot), without Docker so that the
pictures are stable: the motivating Dockerfile (every finding in both engine cases, the
corrected lines) and the view opened with `6` without a Dockerfile.

The Dockerfile lives in a directory of this run's own whose path is as long as the one the
pictures show (`SnapshotPlace`). Update with
`uv run pytest tests/tui/test_doctor_snapshots.py --snapshot-update` after checking the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.doctor.test_findings import MOTIVATING
from tests.tui.conftest import SnapshotPlace, make_snapshot_app, snapshot_place
from tests.tui.test_snapshots import TERMINALS, SnapCompare, after
from tests.uvcache_factory import STABLE_PYTHON, UvEnv

SHOWN_BASE = "/tmp/uvcache-tui-doctor-snap"
"""The path the pictures show; each run writes its Dockerfile at a path of the same length."""


@pytest.fixture(scope="module")
def place() -> Iterator[SnapshotPlace]:
    with snapshot_place(SHOWN_BASE) as place:
        yield place


@pytest.fixture(scope="module")
def empty_env(place: SnapshotPlace) -> UvEnv:
    """uv with an empty cache of its own: the Doctor needs none, the main screen behind it
    finds nothing to scan."""
    return UvEnv(place.path, python=STABLE_PYTHON)


def dockerfile(place: SnapshotPlace, text: str) -> str:
    path = Path(place.path) / "Dockerfile"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("size", list(TERMINALS))
def test_doctor_motivating_dockerfile(
    snap_compare: SnapCompare, empty_env: UvEnv, place: SnapshotPlace, size: str
) -> None:
    app = make_snapshot_app(place, empty_env, dockerfile=dockerfile(place, MOTIVATING))
    assert snap_compare(app, terminal_size=TERMINALS[size], run_before=after())


@pytest.mark.parametrize("size", list(TERMINALS))
def test_doctor_without_a_dockerfile(
    snap_compare: SnapCompare, empty_env: UvEnv, place: SnapshotPlace, size: str
) -> None:
    app = make_snapshot_app(place, empty_env)
    assert snap_compare(app, terminal_size=TERMINALS[size], run_before=after("6"))
