"""Any terminal size: below 100 columns the sidebar folds away (`L` shows it), the header
and bucket bar take one line each, the tables keep Allocated and Reclaimable, and the footer
keeps `?` and `q`; resizing goes back and forth. `/` filters the list in focus."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.tui.conftest import run, settle, settled_app
from tests.uvcache_factory import UvEnv
from uvcache_tui.tui.screens.main import MainScreen
from uvcache_tui.tui.widgets.bucket_bar import BucketBar
from uvcache_tui.tui.widgets.cache_view import CacheHeader
from uvcache_tui.tui.widgets.files_view import FilesView
from uvcache_tui.tui.widgets.footer import KeysFooter
from uvcache_tui.tui.widgets.table_columns import fit_widths

NARROW = (80, 24)
WIDE = (120, 40)


def column_keys(table: DataTable[Any]) -> list[str]:
    return [str(key.value) for key in table.columns]


def assert_fully_visible(screen: MainScreen, table: DataTable[Any], *keys: str) -> None:
    """The columns are there and their cells lie inside the table's visible width."""
    shown = column_keys(table)
    for key in keys:
        assert key in shown, (key, shown)
    right_edge = sum(column.get_render_width(table) for column in table.columns.values())
    assert right_edge <= table.scrollable_content_region.width, (right_edge, table.size)
    assert table.region.right <= screen.size.width


def footer_keys(screen: MainScreen) -> dict[str, Any]:
    """Action -> footer key widget, for the keys the footer shows."""
    footer = screen.query_one(KeysFooter)
    return {key.action: key for key in footer.query("FooterKey")}


def assert_help_and_quit_in_the_footer(screen: MainScreen) -> None:
    """`?` and `q` on screen, pinned right; every other key shown whole, left of them."""
    keys = footer_keys(screen)
    for action in ("help", "quit_asking"):
        assert action in keys, sorted(keys)
        region = keys[action].region
        assert region.width > 0 and region.x >= 0 and region.right <= screen.size.width
    pinned_left = screen.query_one("#pinned-keys").region.x
    others = [key for key in keys.values() if not key.has_class("-command-palette")]
    shown = [key for key in others if key.display and key.action not in ("help", "quit_asking")]
    assert shown, "no contextual key left"
    for key in shown:
        assert key.region.width > 0 and key.region.right <= pinned_left, (key.action, key.region)


async def resize(pilot: Pilot[Any], size: tuple[int, int]) -> None:
    await pilot.resize_terminal(*size)
    await settle(pilot)


def test_narrow_terminal_keeps_the_sizes_help_and_quit(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env, size=NARROW) as (pilot, screen):
            app = pilot.app
            assert screen.narrow and not screen.locations_tree.display
            # The focus is on the pane shown, never on the hidden sidebar.
            buckets = screen.query_one("#buckets-table", DataTable)
            assert app.focused is buckets
            assert_fully_visible(screen, buckets, "name", "allocated", "reclaimable")
            assert screen.query_one(CacheHeader).region.height == 1
            assert screen.query_one(BucketBar).region.height == 1
            assert_help_and_quit_in_the_footer(screen)

            await pilot.press("2")
            await settle(pilot)
            packages = screen.packages_view.table
            assert_fully_visible(screen, packages, "name", "allocated", "reclaimable")
            assert packages.row_count == 3
            # A useful number of rows: the table has most of the 24 lines.
            assert packages.region.height >= 14
            for row_key in packages.rows:
                for column in ("allocated", "reclaimable"):
                    cell = str(packages.get_cell(row_key, column)).strip()
                    assert cell.endswith("iB"), (row_key, column, cell)
            assert_help_and_quit_in_the_footer(screen)

            await pilot.press("3")
            await settle(pilot)
            files = screen.cache_view.files_view.table
            assert_fully_visible(screen, files, "name", "allocated", "reclaimable")
            assert_help_and_quit_in_the_footer(screen)

    run(body)


def test_sidebar_toggle(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env, size=NARROW) as (pilot, screen):
            app = pilot.app
            tree = screen.locations_tree
            assert not tree.display
            await pilot.press("L")
            await settle(pilot)
            assert tree.display and app.focused is tree and tree.region.width > 0
            # Even beside the sidebar, the Buckets table keeps its sizes (Status, Files go).
            buckets = screen.query_one("#buckets-table", DataTable)
            assert_fully_visible(screen, buckets, "allocated", "reclaimable")
            assert "files" not in column_keys(buckets)
            await pilot.press("L")
            await settle(pilot)
            assert not tree.display and app.focused is buckets
            assert column_keys(buckets) == ["name", "status", "allocated", "reclaimable", "files"]
            # Enter on a location in the sidebar opens it and folds the sidebar again.
            await pilot.press("L")
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert not tree.display and app.focused is buckets
            # In a wide terminal the same key hides and shows it.
            await resize(pilot, WIDE)
            assert tree.display
            await pilot.press("L")
            await settle(pilot)
            assert not tree.display
            await pilot.press("L")
            await settle(pilot)
            assert tree.display and app.focused is tree

    run(body)


def test_resize_both_ways(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env, size=WIDE) as (pilot, screen):
            app = pilot.app
            header = screen.query_one(CacheHeader)
            assert not screen.narrow and screen.locations_tree.display
            assert header.region.height >= 2
            await pilot.press("2")
            await settle(pilot)
            packages = screen.packages_view.table
            assert "versions" in column_keys(packages)

            await resize(pilot, NARROW)
            assert screen.narrow and not screen.locations_tree.display
            assert header.region.height == 1
            assert app.focused is packages
            assert_fully_visible(screen, packages, "allocated", "reclaimable")
            assert_help_and_quit_in_the_footer(screen)

            await resize(pilot, (60, 24))
            assert_fully_visible(screen, packages, "allocated", "reclaimable")

            await resize(pilot, WIDE)
            assert not screen.narrow and screen.locations_tree.display
            assert header.region.height >= 2
            assert_fully_visible(screen, packages, "versions", "allocated", "reclaimable")

    run(body)


def test_slash_filters_the_list_in_focus(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env, size=WIDE) as (pilot, screen):
            app = pilot.app
            await pilot.press("3")
            await settle(pilot)
            files = screen.cache_view.query_one(FilesView)
            everything = files.table.row_count
            assert everything > 2
            await pilot.press("slash", *"archive")
            await pilot.pause()
            assert screen.cache_view.tabs.active == "files"  # not Packages
            assert app.focused is files.filter_input
            names = [
                str(files.table.get_row_at(i)[0]).strip() for i in range(files.table.row_count)
            ]
            assert names == ["archive-v0/"]
            await pilot.press("enter")  # keeps the filter, back to the list
            await pilot.pause()
            assert app.focused is files.table and files.table.row_count == 1
            await pilot.press("escape")
            await pilot.pause()
            assert files.table.row_count == everything and not files.filter_text
            # From the Buckets tab, `/` still means the Packages filter.
            await pilot.press("1", "slash")
            await pilot.pause()
            assert screen.cache_view.tabs.active == "packages"
            assert app.focused is screen.packages_view.filter_input

    run(body)


def test_fit_widths_squeezes_then_drops_in_order() -> None:
    columns = [("name", 30), ("status", 8), ("allocated", 10), ("files", 9)]
    squeeze = {"name": 10}
    drop = ("files", "status")
    # Everything fits: nothing changes.
    assert fit_widths(columns, 100, squeeze, drop) == dict(columns)
    # Not laid out yet: as wanted.
    assert fit_widths(columns, 0, squeeze, drop) == dict(columns)
    # Name gives up what is missing, nothing leaves (30+8+10+9 + 4*2 = 65).
    assert fit_widths(columns, 60, squeeze, drop) == {
        "name": 25,
        "status": 8,
        "allocated": 10,
        "files": 9,
    }
    # Squeezed to 10, 45 cells are needed: Files leaves, Name takes the room back.
    assert fit_widths(columns, 40, squeeze, drop) == {"name": 16, "status": 8, "allocated": 10}
    # Then Status.
    assert fit_widths(columns, 25, squeeze, drop) == {"name": 11, "allocated": 10}
