"""A one-line readout of the selected location's running scan."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from uvcache_tui.core.model import ScanProgress
from uvcache_tui.core.words import counted
from uvcache_tui.tui.format import format_size, short_path


def progress_text(root: str, progress: ScanProgress | None) -> Text:
    """`Scanning ~/.cache/uv: 12,345 entries · 1.2 GiB · wheels-v8/pypi/…`."""
    text = Text.assemble(("⟳ Scanning ", "bold yellow"), (short_path(root, 40), "bold"))
    if progress is None:
        text.append(": starting…", style="dim")
        return text
    text.append(
        f": {counted(progress.entries, 'entry')} · {format_size(progress.allocated)}"
        f" · {counted(progress.dirs_done, 'dir')}",
    )
    current = progress.current_dir
    if current.startswith(root):
        current = current[len(root) :].lstrip("/") or "."
    if current != ".":
        text.append(f" · {current}", style="dim")
    text.truncate(400)
    return text


class ScanProgressView(Static):
    """Shown under the detail pane while the selected location scans; `x` stops the scan."""

    DEFAULT_CSS = """
    ScanProgressView {
        height: 1;
        padding: 0 1;
        background: $boost;
        display: none;
    }
    ScanProgressView.running {
        display: block;
    }
    """

    def show_progress(self, root: str, progress: ScanProgress | None) -> None:
        self.add_class("running")
        self.update(progress_text(root, progress))

    def hide(self) -> None:
        self.remove_class("running")
        self.update("")
