"""The Doctor view: the Dockerfile given with `--dockerfile` (its uv RUNs, findings and
corrected lines, the image's layers with `--image`), then every builder.

Like Textual's `DirectoryTree`, the widget owns its work: `check()` starts a thread worker
that calls the core (`load.run_doctor`: the Dockerfile, Docker's builders, the base images,
the image) and posts `Checked`; the same worker then measures the matched records on disk
and posts `Measured`, which puts their true sizes in. A newer check supersedes an older one;
a worker that raises (a bug) is shown in the view, not lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from uvcache_tui.core.buildkit.ondisk import MountKey, MountOnDisk
from uvcache_tui.tui.config import AppConfig
from uvcache_tui.tui.doctor.load import DoctorRequest, DoctorResult, measure_records, run_doctor
from uvcache_tui.tui.doctor.texts import builders_section, dockerfile_section, findings_section

CHECK_GROUP = "doctor-check"
CHECKING = "Checking: reading the Dockerfile, asking Docker's builders…"


def request_for(config: AppConfig) -> DoctorRequest:
    return DoctorRequest(
        dockerfile=config.dockerfile,
        image=config.image,
        timeout=config.docker_timeout,
        env=config.docker_env,
        docker=config.buildkit,
    )


class DoctorView(VerticalScroll):
    """The Doctor's report in three parts: Dockerfile, findings, builders."""

    DEFAULT_CSS = """
    DoctorView {
        height: 1fr;
        padding: 1 2;
    }
    DoctorView > Static {
        margin-bottom: 1;
    }
    DoctorView #doctor-status {
        color: $text-muted;
        margin-bottom: 0;
    }
    """

    @dataclass
    class Checked(Message):
        """`run_doctor` returned (it never raises for bad input or an absent Docker)."""

        result: DoctorResult
        check_id: int

    @dataclass
    class Measured(Message):
        """The matched records' true sizes on disk, where the fast path works."""

        on_disk: Mapping[MountKey, MountOnDisk]
        check_id: int

    def __init__(self, config: AppConfig, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.request = request_for(config)
        self.result: DoctorResult | None = None
        self.on_disk: Mapping[MountKey, MountOnDisk] = {}
        self.checking = False
        self._check_id = 0
        self.status = Static(CHECKING, id="doctor-status")
        self.dockerfile_part = Static(id="doctor-dockerfile")
        self.findings_part = Static(id="doctor-findings")
        self.builders_part = Static(id="doctor-builders")
        """Kept, not queried: a check may start or end before they are mounted."""

    def compose(self) -> ComposeResult:
        yield self.status
        yield self.dockerfile_part
        yield self.findings_part
        yield self.builders_part

    def on_mount(self) -> None:
        self.check()

    def check(self) -> Worker[None]:
        """(Re)run the check in a thread worker; a check still running is superseded."""
        self._check_id += 1
        self.checking = True
        self._status(CHECKING)
        return self.run_worker(
            partial(self._check_worker, self.request, self._check_id),
            name="doctor check",
            group=CHECK_GROUP,
            description="checking the Dockerfile and the builders",
            exclusive=True,
            exit_on_error=False,
            thread=True,
        )

    def _check_worker(self, request: DoctorRequest, check_id: int) -> None:
        """Thread: the core calls only; the report first, the true sizes after."""
        result = run_doctor(request)
        self.post_message(self.Checked(result, check_id))
        self.post_message(self.Measured(measure_records(result, request.timeout), check_id))

    def _status(self, text: str) -> None:
        """The line above the report: shown while a check runs, or when it failed."""
        self.status.update(Text(text))
        self.status.display = True

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        if message.check_id != self._check_id:
            return
        self.result = message.result
        self.on_disk = {}
        self._status("Measuring the records on disk…")
        self.show()

    @on(Measured)
    def _measured(self, message: Measured) -> None:
        if message.check_id != self._check_id:
            return
        self.checking = False
        self.on_disk = message.on_disk
        self.status.display = False
        self.show()

    def show(self, now: datetime | None = None) -> None:
        """Render the last result (the builders' times against `now`)."""
        result = self.result
        if result is None:
            return
        clock = now or datetime.now(timezone.utc)
        self.dockerfile_part.update(dockerfile_section(result))
        self.findings_part.update(findings_section(result))
        self.findings_part.display = result.diagnosis is not None or result.image is not None
        self.builders_part.update(builders_section(result, self.on_disk, clock))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A check that raised (a bug, not bad input) is said here."""
        if event.worker.group != CHECK_GROUP or event.state is not WorkerState.ERROR:
            return
        self.checking = False
        error = f"{type(event.worker.error).__name__}: {event.worker.error}"
        self._status(f"The check failed: {error}")
