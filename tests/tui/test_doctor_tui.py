"""The Doctor view: opened with `6` or at start with `--dockerfile`, its check in a worker,
its keys in the help and the palette; against the real engines, the motivating Dockerfile
(astral-sh/uv#16180) on Engine 20.10 and 28.5."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Static

from tests.core.buildkit.scenarios import TARGETS_16180, build_16180
from tests.core.doctor.test_findings import MOTIVATING, UV_DOCKER_EXAMPLE
from tests.dockerenv import Tracker, wait_for
from tests.tui.conftest import SIZE, make_app, run, settled_app
from tests.tui.test_app import plain, wait_until
from tests.tui.test_keys import rendered_help
from tests.uvcache_factory import UvEnv
from uvcache_tui.tui.commands import binding_commands
from uvcache_tui.tui.doctor import load
from uvcache_tui.tui.doctor.screen import DoctorScreen
from uvcache_tui.tui.doctor.view import DoctorView
from uvcache_tui.tui.screens.help import HelpScreen
from uvcache_tui.tui.screens.main import MainScreen


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    return str(path)


def doctor_view(pilot: Pilot[Any]) -> DoctorView:
    screen = pilot.app.screen
    assert isinstance(screen, DoctorScreen), screen
    return screen.view


def shown(view: DoctorView, part: str) -> str:
    return plain(view.query_one(f"#doctor-{part}", Static))


async def checked(pilot: Pilot[Any]) -> DoctorView:
    view = doctor_view(pilot)
    await wait_until(pilot, lambda: view.result is not None and not view.checking, 60)
    await pilot.pause()
    return view


def test_dockerfile_opens_the_doctor_with_findings_and_fixes(
    shared_env: UvEnv, tmp_path: Path
) -> None:
    """No engine: the Dockerfile part still runs, each finding says which engines it holds on."""
    path = write(tmp_path, MOTIVATING)
    seen: list[Message] = []

    async def body() -> None:
        app = make_app(shared_env, dockerfile=path)
        async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
            view = await checked(pilot)
            assert [type(s) for s in app.screen_stack] == [MainScreen, DoctorScreen]
            result = view.result
            assert result is not None and result.error is None
            assert {(f.code, f.expansion) for f in result.findings} == {
                ("UVD003", "literal"),
                ("UVD006", "expanded"),
            }
            dockerfile = shown(view, "dockerfile")
            assert f"Path               {path}" in dockerfile
            assert "line 5  stage 0, user root  uv sync" in dockerfile
            findings = shown(view, "findings")
            assert "Findings  1 error, 1 info" in findings
            assert "error UVD003 line 5  a variable in --mount is not expanded" in findings
            assert "│ RUN --mount=type=cache,target=/application/cache/uv uv sync" in findings
            assert "[only on engines that keep --mount variables literal" in findings
            assert "│ ENV UV_LINK_MODE=copy" in findings
            builders = shown(view, "builders")
            assert "Docker: not reachable" in builders
            checks = {id(m): m for m in seen if isinstance(m, DoctorView.Checked)}
            assert [m.result for m in checks.values()] == [result]  # one check, as it bubbled

    run(body)


def test_the_check_runs_in_a_worker_thread(
    shared_env: UvEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The core is never called on the UI thread (the real run_doctor, observed)."""
    threads: list[threading.Thread] = []
    real = load.run_doctor

    def observed(request: load.DoctorRequest) -> load.DoctorResult:
        threads.append(threading.current_thread())
        return real(request)

    monkeypatch.setattr("uvcache_tui.tui.doctor.view.run_doctor", observed)

    async def body() -> None:
        app = make_app(shared_env, dockerfile=write(tmp_path, UV_DOCKER_EXAMPLE))
        async with app.run_test(size=SIZE) as pilot:
            view = await checked(pilot)
            assert view.result is not None and view.result.findings == ()
            assert "No findings." in shown(view, "findings")
            assert threads and all(t is not threading.main_thread() for t in threads)

    run(body)


def test_six_opens_the_doctor_and_escape_goes_back(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, _screen):
            app = pilot.app
            assert isinstance(app.screen, MainScreen)  # no --dockerfile: not opened at start
            await pilot.press("6")
            view = await checked(pilot)
            assert "No Dockerfile given: start with `uvcache-tui --dockerfile PATH`" in shown(
                view, "dockerfile"
            )
            assert not view.query_one("#doctor-findings").display  # nothing was judged
            first = view.result
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            await pilot.press("6")
            await pilot.pause()
            assert doctor_view(pilot) is view and view.result is first  # the report stays
            await pilot.press("r")
            await wait_until(pilot, lambda: view.result is not first and not view.checking)
            await pilot.press("6")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            # Never over a dialog.
            await pilot.press("question_mark")
            await pilot.pause()
            await pilot.press("6")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)

    run(body)


def test_a_dockerfile_that_does_not_parse_says_line_and_reason(
    shared_env: UvEnv, tmp_path: Path
) -> None:
    broken = write(tmp_path, "FROM x\nRUN a\nRUN <<EOF\nabc\n")
    missing = str(tmp_path / "missing" / "Dockerfile")

    async def body() -> None:
        for path, reason in (
            (broken, f"{broken}:3: unterminated heredoc"),
            (missing, f"cannot read {missing}: No such file or directory"),
        ):
            app = make_app(shared_env, dockerfile=path)
            async with app.run_test(size=SIZE) as pilot:
                view = await checked(pilot)
                assert view.result is not None and view.result.error == reason
                assert f"Not checked: {reason}" in shown(view, "dockerfile")
                assert "Docker: not reachable" in shown(view, "builders")

    run(body)


def test_keys_in_the_help_and_the_palette(shared_env: UvEnv, tmp_path: Path) -> None:
    text = rendered_help()
    rows = {line.split("  ")[0].strip(): line for line in text.splitlines() if line.strip()}
    assert "Doctor: where a Docker build's uv cache goes" in rows["6"]
    assert "Doctor (6)" in text and "run the check again" in rows["r"] + text

    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            app = pilot.app
            commands = {c.title: c for c in binding_commands(screen)}
            assert commands["Doctor"].help.endswith("(6)")
            app.call_next(commands["Doctor"].run)  # in the app, as the palette runs it
            await pilot.pause()
            view = await checked(pilot)
            commands = {c.title: c for c in binding_commands(app.screen)}
            assert {"Check again", "Back", "Doctor"} <= set(commands)
            before = view.result
            app.call_next(commands["Check again"].run)  # in the app, as the palette runs it
            await pilot.pause()
            await wait_until(pilot, lambda: view.result is not before and not view.checking)
            app.call_next(commands["Back"].run)  # in the app, as the palette runs it
            await pilot.pause()
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)

    run(body)


@pytest.mark.docker
def test_motivating_case_on_both_engines(
    tracked: Tracker, tmp_path: Path, shared_env: UvEnv
) -> None:
    """Engine 20.10: UVD003, the literal mount's record, the baked layer; 28.5: neither."""
    engine = tracked.engine
    _token, tag = build_16180(tracked, tmp_path / "ctx")
    dockerfile = str(tmp_path / "ctx" / "Dockerfile")
    literal, expanded = TARGETS_16180[1], TARGETS_16180[0]
    wait_for(
        lambda: any(t in r["Description"] for r in engine.records() for t in TARGETS_16180),
        "the build's cache-mount record",
    )

    async def body() -> None:
        app = make_app(
            shared_env,
            dockerfile=dockerfile,
            image=tag,
            docker_env=engine.env(),
            docker_timeout=60,
        )
        async with app.run_test(size=SIZE) as pilot:
            view = await checked(pilot)
            result = view.result
            assert result is not None and result.docker is None
            used = result.used
            assert used is not None and used.builder.name == "default"
            (mount,) = used.check.mounts
            assert mount.records, "the record of the build"
            codes = [f.code for f in result.findings]
            assert result.image is not None and result.image.error is None
            builders = shown(view, "builders")
            assert "Used by builds   yes: the current builder" in builders
            record = mount.records[0]
            assert f"record {record.id[:12]}" in builders
            measured = view.on_disk.get(("default", record.id))
            assert measured is not None and measured.size is not None
            if engine.legacy:
                assert mount.mount.target == literal and record.target == literal
                assert "UVD003" in codes and "UVD011" in codes
                (cache,) = result.image.caches or ()
                assert cache.path == expanded
                text = shown(view, "dockerfile")
                assert f"layer {cache.layer_index} of {cache.layer_count}: uv cache at" in text
                assert f"cache mount  {literal}  (key ${{UV_CACHE_DIR}}; not uv's cache dir)" in (
                    text
                )
            else:
                assert mount.mount.target == expanded and record.target == expanded
                assert "UVD003" not in codes and "UVD011" not in codes
                assert result.image.caches == ()

    run(body)


def test_vi_keys_scroll_the_report(shared_env: UvEnv, tmp_path: Path) -> None:
    """j/k scroll the Doctor's report a line, G goes to its end and g back to the top."""

    async def body() -> None:
        app = make_app(shared_env, dockerfile=write(tmp_path, MOTIVATING))
        async with app.run_test(size=(80, 16)) as pilot:
            view = await checked(pilot)
            await pilot.pause()
            assert app.focused is view and view.max_scroll_y > 2, "a report taller than the view"
            await pilot.press("j", "j")
            await pilot.pause()
            assert view.scroll_y == 2
            await pilot.press("k")
            await pilot.pause()
            assert view.scroll_y == 1
            await pilot.press("G")
            await pilot.pause()
            assert view.scroll_y == view.max_scroll_y
            await pilot.press("g")
            await pilot.pause()
            assert view.scroll_y == 0

    run(body)
