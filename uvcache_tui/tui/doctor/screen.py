"""The Doctor screen: the `DoctorView` full width, over the main screen, with its keys.

Reached with `6` from the main screen (the app's binding) and opened at start when the app
was given `--dockerfile` or `--image`; escape (or `6` again) goes back to the caches. The app
installs one instance, so the report stays while the caches are shown.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header

from uvcache_tui.tui.config import AppConfig
from uvcache_tui.tui.doctor.view import DoctorView


class DoctorScreen(Screen[None]):
    """Where a Docker build's uv cache goes, per builder, and the fix."""

    BINDINGS = [
        Binding("r", "check", "Check again", id="doctor.check", tooltip="run the check again"),
        Binding(
            "escape",
            "back",
            "Back",
            id="doctor.back",
            tooltip="back to the caches (the report stays)",
        ),
    ]
    HELP_NOTE = "uvcache-tui --dockerfile PATH [--image IMAGE] opens it on a Dockerfile"
    """Shown in the help screen above the Doctor's keys."""

    def __init__(self, config: AppConfig) -> None:
        super().__init__()
        self.config = config
        self.sub_title = "Doctor"

    def compose(self) -> ComposeResult:
        yield Header()
        yield DoctorView(self.config, id="doctor-view")
        yield Footer()

    @property
    def view(self) -> DoctorView:
        return self.query_one(DoctorView)

    def on_mount(self) -> None:
        self.view.focus()

    def action_check(self) -> None:
        self.view.check()

    def action_back(self) -> None:
        self.app.pop_screen()
