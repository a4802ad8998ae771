"""One source of keys: the help screen and the command palette are made from the BINDINGS."""

from __future__ import annotations

import io

from rich.console import Console
from textual.binding import Binding
from textual.message import Message

from tests.tui.conftest import SIZE, main_screen, make_app, run, settle
from tests.uvcache_factory import UvEnv
from uvcache_tui.tui.app import UvCacheApp
from uvcache_tui.tui.buildkit.tree import BuildkitLocationsTree
from uvcache_tui.tui.commands import binding_commands
from uvcache_tui.tui.screens.help import KEY_OWNERS, SECTIONS, help_table, listed_bindings
from uvcache_tui.tui.screens.main import MainScreen

OWNERS = (MainScreen, UvCacheApp, *KEY_OWNERS)


def rendered_help() -> str:
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(help_table(OWNERS))
    return console.export_text()


def own_bindings() -> list[Binding]:
    return [
        b
        for owner in OWNERS
        for b in owner.__dict__.get("BINDINGS", [])
        if isinstance(b, Binding) and b.id is not None
    ]


def test_every_bound_key_is_in_the_help_with_its_tooltip() -> None:
    bindings = own_bindings()
    assert {b.action for b in bindings} >= {
        "rescan",
        "stop_scan",
        "filter",
        "help",
        "quit",
        "command_palette",
        "reload",
        "prune_mount",
        "prune_builder",
        "toggle_mark",
        "go_up",
    }
    sections = {section.key for section in SECTIONS}
    lines = rendered_help().splitlines()
    for binding in bindings:
        assert binding.tooltip, binding.id
        assert binding.id is not None and binding.id.split(".")[0] in sections, binding.id
        assert any(binding.tooltip in line for line in lines), binding.tooltip
    assert len(listed_bindings(OWNERS)) == len(bindings)


def test_keys_of_one_row_and_sections_in_order() -> None:
    text = rendered_help()
    rows = {line.split("  ")[0].strip(): line for line in text.splitlines() if line.strip()}
    assert "Buckets, Packages, Files, Info, Interpreters tab" in rows["1 2 3 4 5"]
    assert "parent directory" in rows["backspace / ←"]
    assert "sort by allocated size; again reverses" in rows["s"]
    assert "sort by reclaimable size" in rows["R"] and "sort by file count" in rows["f"]
    assert "sort by that column" in rows["click a header"]
    order = [text.index(section.title) for section in SECTIONS]
    assert order == sorted(order)


def test_palette_offers_the_enabled_keys_only(shared_env: UvEnv) -> None:
    async def body() -> None:
        for read_only in (False, True):
            app = make_app(shared_env, read_only=read_only)
            seen: list[Message] = []
            async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
                await settle(pilot)
                screen = main_screen(pilot)
                commands = {c.title: c for c in binding_commands(screen)}
                assert "Rescan" in commands and "Help" in commands
                assert commands["Rescan"].help == "rescan the selected location (r)"
                assert "palette" not in commands
                # the cursor is on a local cache: BuildKit's keys are not offered
                assert "Reload" not in commands and "Prune mount" not in commands
                assert ("Prune" in commands) is not read_only
                assert ("Clear all" in commands) is not read_only
                tree = screen.locations_tree
                assert isinstance(tree, BuildkitLocationsTree)
                (status,) = tree.buildkit_branch.children
                tree.move_cursor(status)
                await pilot.pause()
                commands = {c.title: c for c in binding_commands(screen)}
                assert "Reload" in commands and "Prune" not in commands
                seen.clear()
                await commands["Reload"].run()
                await settle(pilot)
                assert any(isinstance(m, BuildkitLocationsTree.Loaded) for m in seen)

    run(body)
