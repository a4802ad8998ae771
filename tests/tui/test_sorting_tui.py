"""Sorting in Buckets, Packages and Files (keys and header clicks, shown in the header),
lists that open at the top after a new model, and the Files view's hardlink figures."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tests.tui.conftest import main_screen, run, settle, settled_app
from tests.uvcache_factory import UvEnv
from uvcache_tui.core.dir_listing import FILES_KEY
from uvcache_tui.tui.commands import binding_commands
from uvcache_tui.tui.widgets.files_view import LINK_MARK, FilesView


def header(table: DataTable[Any], key: str) -> str:
    return table.columns[key].label.plain  # type: ignore[index]


def column(table: DataTable[Any], key: str) -> list[str]:
    """A column's cells, top to bottom, as plain text."""
    index = list(table.columns).index(key)  # type: ignore[arg-type]
    return [str(table.get_row_at(row)[index]).strip() for row in range(table.row_count)]


async def click_header(pilot: Pilot[Any], table: DataTable[Any], key: str) -> None:
    """Click the middle of a column's header."""
    x = 0
    for column_key, col in table.columns.items():
        width = col.get_render_width(table)
        if column_key.value == key:
            await pilot.click(table, offset=(x + width // 2, 0))
            await pilot.pause()
            return
        x += width
    raise AssertionError(f"no column {key}")


def test_buckets_sort_by_key_and_header_click(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            table = screen.cache_view.query_one("#buckets-table", DataTable)
            model = screen.cache_view.model
            assert model is not None
            by_name = {b.name: b.sizes for b in model.buckets}
            await pilot.press("1")
            await pilot.pause()
            palette = {c.title: c.help for c in binding_commands(screen)}
            assert palette["By reclaimable"] == "sort by reclaimable size; again reverses (R)"

            def names() -> list[str]:
                return [str(row.key.value) for row in table.ordered_rows]

            # The default, as the CLI's: allocated, largest first.
            assert [by_name[n].allocated for n in names()] == sorted(
                (s.allocated for s in by_name.values()), reverse=True
            )
            assert header(table, "allocated") == "Allocated ▼"
            await pilot.press("n")
            await pilot.pause()
            assert names() == sorted(by_name, key=str.lower)
            assert header(table, "name").endswith("▲") and header(table, "allocated") == "Allocated"
            await pilot.press("n")
            await pilot.pause()
            assert names() == sorted(by_name, key=str.lower, reverse=True)
            assert header(table, "name").endswith("▼")
            await pilot.press("R")
            await pilot.pause()
            reclaimable = [by_name[n].reclaimable for n in names()]
            assert reclaimable == sorted(reclaimable, reverse=True)
            assert header(table, "reclaimable") == "Reclaimable ▼"
            await click_header(pilot, table, "files")
            files = [by_name[n].files for n in names()]
            assert files == sorted(files, reverse=True) and header(table, "files") == "Files ▼"
            await click_header(pilot, table, "files")
            files = [by_name[n].files for n in names()]
            assert files == sorted(files) and header(table, "files") == "Files ▲"
            await click_header(pilot, table, "status")  # not a sort column: nothing moves
            assert header(table, "files") == "Files ▲"

    run(body)


def test_packages_sort_and_open_at_the_top_after_a_new_model(fresh_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(fresh_env) as (pilot, screen):
            packages = screen.packages_view
            table = packages.table
            model = packages.model
            assert model is not None
            sizes = {p.name: model.package_sizes(p) for p in model.packages}
            await pilot.press("2")
            await pilot.pause()
            assert [sizes[n].allocated for n in packages.visible_names()] == sorted(
                (s.allocated for s in sizes.values()), reverse=True
            )
            await click_header(pilot, table, "name")
            assert packages.visible_names() == sorted(sizes)
            assert header(table, "name") == "Package ▲"
            await pilot.press("R")
            await pilot.pause()
            got = [sizes[n].reclaimable for n in packages.visible_names()]
            assert got == sorted(got, reverse=True)
            await pilot.press("f", "f")
            await pilot.pause()
            got = [sizes[n].files for n in packages.visible_names()]
            assert got == sorted(got) and header(table, "files") == "Files ▲"
            assert column(table, "files") == [str(sizes[n].files) for n in packages.visible_names()]
            # The cursor stays on its package when the order changes ...
            table.move_cursor(row=2)
            kept = packages.visible_names()[2]
            await pilot.press("s")
            await pilot.pause()
            assert table.cursor_key() == kept
            # ... but a new model (a rescan) opens the list at the top.
            table.move_cursor(row=table.row_count - 1)
            await pilot.pause()
            assert table.cursor_row == table.row_count - 1 > 0
            await pilot.press("r")
            await settle(pilot)
            await pilot.press("1", "2")
            await pilot.pause()
            new_model = packages.model
            assert new_model is not None and new_model is not model
            assert table.cursor_row == 0 and table.scroll_y == 0
            assert table.order.key.value == "allocated"  # the order chosen stays
            allocated = [
                new_model.package_sizes(p).allocated
                for name in packages.visible_names()
                for p in new_model.packages
                if p.name == name
            ]
            assert allocated == sorted(allocated, reverse=True)

    run(body)


def _copy_archive(cache: Path, archive_id: str, copies: int) -> list[str]:
    """Hardlinked copies of one archive dir inside archive-v0 (as `cp -al` would make)."""
    source = cache / "archive-v0" / archive_id
    names = []
    for index in range(copies):
        name = f"copy{index}"
        for top, _dirs, files in os.walk(source):
            target = cache / "archive-v0" / name / os.path.relpath(top, source)
            target.mkdir(parents=True, exist_ok=True)
            for file in files:
                os.link(os.path.join(top, file), target / file)
        names.append(name)
    return names


def test_files_marks_hardlinks_and_labels_archives(fresh_env: UvEnv) -> None:
    cache = fresh_env.cache
    largest = max(
        (cache / "archive-v0").iterdir(),
        key=lambda p: sum(f.stat().st_size for f in p.rglob("*") if f.is_file()),
    )
    copies = _copy_archive(cache, largest.name, 3)

    async def body() -> None:
        async with settled_app(fresh_env) as (pilot, screen):
            files: FilesView = screen.cache_view.files_view
            table = files.table
            await pilot.press("3")
            await pilot.pause()
            table.move_cursor(row=table.get_row_index("d:archive-v0"))
            await pilot.press("enter")
            await pilot.pause()
            assert files.current_relpath == "archive-v0"
            model = main_screen(pilot).cache_view.model
            assert model is not None
            names = {
                str(row.key.value): str(table.get_row(row.key)[0]) for row in table.ordered_rows
            }
            for archive in model.archives:
                if archive.archive_id in copies:
                    continue
                label, _, version = archive.label.rpartition("-")
                assert names[f"d:{archive.archive_id}"].startswith(
                    f"{label} {version}  {archive.archive_id[:2]}"
                ), (archive, names)
            # The copies and their source share every file: each is marked with the bytes it
            # shares, and the % column adds up to no more than the parent.
            for name in [largest.name, *copies]:
                shared = column_cell(table, f"d:{name}", "shared")
                assert shared.startswith(LINK_MARK), (name, shared)
            shares = [int(c) for c in column(table, "share")[1:]]
            assert sum(shares) <= 100 + len(shares)  # each rounded to the nearest percent
            crumb = files.query_one("#files-path", Static).content
            assert isinstance(crumb, Text) and "shared between rows" in crumb.plain
            # Files sorts with the same keys and headers.
            await click_header(pilot, table, "name")
            shown = [str(table.get_row_at(i)[0]) for i in range(1, table.row_count)]
            assert shown == sorted(shown, key=str.lower)
            assert header(table, "name") == "Name ▲"
            await pilot.press("n")
            await pilot.pause()
            assert header(table, "name") == "Name ▼"

    run(body)


def column_cell(table: DataTable[Any], row_key: str, column_key: str) -> str:
    index = list(table.columns).index(column_key)  # type: ignore[arg-type]
    return str(table.get_row(row_key)[index]).strip()


def test_files_own_row_and_default_order(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            files: FilesView = screen.cache_view.files_view
            table = files.table
            await pilot.press("3")
            await pilot.pause()
            assert header(table, "allocated") == "Allocated ▼"
            assert column_cell(table, FILES_KEY, "name") == "(3 files)"
            assert column_cell(table, FILES_KEY, "reclaimable") != ""

    run(body)
