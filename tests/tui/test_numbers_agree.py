"""Numbers that agree between views: the marked packages' line and their clean preview, on a
cache the real uv filled from a local index (so index pages exist, which uv cleans too)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from tests.deep_cache import build_deep_cache
from tests.tui.conftest import fill_cache, main_screen, run, settle, settled_app
from tests.tui.test_actions_tui import open_preview
from tests.tui.test_app import plain, wait_until
from tests.uvcache_factory import UvEnv, du_apparent_bytes, make_wheel
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted

SIZE = (120, 40)
SELECTIONS = [
    ("alpha", "gamma"),  # both have an index page
    ("alpha", "gitpkg"),  # an index page and a git checkout
    ("direct-pkg", "gamma", "localpkg"),
    ("flpkg",),
    ("alpha",),  # one package: its row says the same (its index page included)
]
MARKED_RE = re.compile(r"marked: (?P<allocated>.+) allocated, (?P<reclaimable>.+) reclaimable$")
PREVIEW_RE = re.compile(r", (?P<allocated>[^,]+) allocated, .* Frees (?P<reclaimable>[^;]+);")


async def mark(pilot: Pilot[Any], names: tuple[str, ...]) -> str:
    """Mark `names` in the Packages view; the status line once it is measured."""
    view = main_screen(pilot).packages_view
    for name in names:
        view.table.move_cursor(row=view.table.get_row_index(name))
        await pilot.press("space")
    status = view.query_one("#packages-status", Static)
    await wait_until(pilot, lambda: "measuring" not in plain(status))
    return plain(status)


def test_marked_totals_equal_the_clean_preview(tmp_path: Path) -> None:
    deep = build_deep_cache(tmp_path)
    assert list(deep.cache.glob("simple-v*/index/*/alpha.rkyv")), "no index page to count"

    seen: dict[tuple[str, ...], tuple[int, int]] = {}

    async def body() -> None:
        async with settled_app(deep.env) as (pilot, screen):
            await pilot.press("2")
            view = screen.packages_view
            for names in SELECTIONS:
                view.marked_packages.clear()
                line = await mark(pilot, names)
                marked = MARKED_RE.search(line)
                assert marked, line
                preview = await open_preview(pilot, "c")
                totals = plain(preview.query_one("#preview-totals", Static))
                predicted = PREVIEW_RE.search(totals)
                assert predicted, totals
                assert marked.groupdict() == predicted.groupdict(), (names, line, totals)
                exact = preview.plan.prediction.totals
                assert marked["allocated"] == format_size(exact.allocated)
                seen[names] = (exact.allocated, exact.reclaimable)
                if len(names) == 1:
                    row = [
                        str(view.table.get_cell(names[0], column)).strip()
                        for column in ("allocated", "reclaimable")
                    ]
                    assert row == [marked["allocated"], marked["reclaimable"]], (row, line)
                if "alpha" in names:
                    kinds = {entry.kind for entry in preview.plan.prediction.entries}
                    assert "index-page" in kinds
                await pilot.press("escape")
                await pilot.pause()
                for name in names:  # unmark through the view, as a person would
                    view.table.move_cursor(row=view.table.get_row_index(name))
                    await pilot.press("space")
                assert view.marked_packages == set()

    run(body)
    # The CLI's preview of the same names says the same bytes.
    for names in SELECTIONS[:2]:
        packages = [arg for name in names for arg in ("-p", name)]
        result = subprocess.run(
            [sys.executable, "-m", "uvcache_tui", "clean", "--dry-run", "--json", *packages],
            env=deep.env.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        totals = json.loads(result.stdout)["totals"]
        assert (totals["allocated_bytes"], totals["reclaimable_bytes"]) == seen[names]


def test_one_package_is_one_package(tmp_path: Path) -> None:
    """The Packages status and the preview say "1 package", "1 entry", never "1 packages"."""
    env = UvEnv(tmp_path)
    make_wheel(env.links, "solo", "1.0", modules=1)
    env.install(env.venv("venv"), "solo")

    async def body() -> None:
        async with settled_app(env) as (pilot, screen):
            await pilot.press("2")
            view = screen.packages_view
            status = view.query_one("#packages-status", Static)
            assert plain(status).startswith("1 package · "), plain(status)
            line = await mark(pilot, ("solo",))
            assert line.startswith("1 package · 1 marked: "), line
            preview = await open_preview(pilot, "c")
            totals = plain(preview.query_one("#preview-totals", Static))
            entries = len(preview.plan.prediction.entries)
            assert totals.startswith(f"Will remove {counted(entries, 'entry')}, "), totals
            assert not re.search(r"\b1 (entries|files)\b", totals), totals

    run(body)


def test_info_shows_the_apparent_size_of_the_files(tmp_path: Path) -> None:
    """The one byte (not block) figure on screen: the snapshots mask it (it differs by host)."""
    env = UvEnv(tmp_path)
    fill_cache(env)
    expected = f"apparent size {format_size(du_apparent_bytes(env.cache))}"

    async def body() -> str:
        async with settled_app(env) as (pilot, screen):
            await pilot.press("4")
            await settle(pilot)
            info = screen.query_one("#info-body", Static)
            console = Console(width=200, record=True, file=io.StringIO())
            console.print(info.content)
            return console.export_text()

    shown = run(body)
    assert expected in shown, shown
