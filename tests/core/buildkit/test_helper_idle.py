"""A helper build that hangs after a good start is killed after the idle timeout (no
output for that long), not at the 15-minute deadline; one that keeps printing runs on."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.cli.test_cli_buildkit import cli, nowhere, one_line_usage_error
from tests.core.buildkit.test_transfer import new_records
from tests.dockerenv import Tracker
from uvcache_tui.core.buildkit.helper_build import (
    BUILD_TIMEOUT,
    IDLE_TIMEOUT_ENV,
    HelperError,
    _drain,
    _helper_build,
    helper_idle_timeout,
    new_nonce,
    with_heartbeat,
)
from uvcache_tui.core.buildkit.mountref import ready_builder
from uvcache_tui.core.buildkit.streams import StreamCancelled, StreamTimeout, run_streaming


def test_silence_kills_output_keeps_alive() -> None:
    env = dict(os.environ)
    started = time.monotonic()
    with pytest.raises(StreamTimeout) as caught:
        run_streaming(["sh", "-c", "echo started >&2; echo out; sleep 30"], stdin=b"",
                      sink=lambda s: s.read(), timeout=60, env=env, idle_timeout=1.0)  # fmt: skip
    assert caught.value.idle and "no output for 1s" in str(caught.value)
    assert time.monotonic() - started < 5
    # printing (on stderr, as buildx's progress does) every 0.3 s for 3 s is progress
    ticking = "for i in 1 2 3 4 5 6 7 8 9 10; do echo tick >&2; sleep 0.3; done; echo done"
    outcome = run_streaming(["sh", "-c", ticking], stdin=b"", sink=lambda s: s.read(),
                            timeout=60, env=env, idle_timeout=1.0)  # fmt: skip
    assert outcome.value == b"done\n" and outcome.stderr.count("tick") == 10
    with pytest.raises(StreamTimeout) as deadline:
        run_streaming(["sh", "-c", ticking], stdin=b"", sink=lambda s: s.read(),
                      timeout=1.0, env=env, idle_timeout=10.0)  # fmt: skip
    assert not deadline.value.idle


def test_the_idle_timeout_is_bounded() -> None:
    assert helper_idle_timeout({}) == 120.0
    assert helper_idle_timeout({IDLE_TIMEOUT_ENV: "30"}) == 30.0
    for bad in ("5", "901", "nan", "soon", "-1"):
        with pytest.raises(ValueError, match=IDLE_TIMEOUT_ENV):
            helper_idle_timeout({IDLE_TIMEOUT_ENV: bad})


HANG = """\
FROM scratch
RUN --mount=type=bind,from={image},target=/.bb ["/.bb/bin/sh", "-c", "export PATH=/.bb/bin; : hang-{nonce}; echo started; sleep 600"]
"""


@pytest.mark.docker
def test_a_helper_build_that_hangs_is_killed_early(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    env = {**engine.env(), IDLE_TIMEOUT_ENV: "10"}
    resolved = ready_builder(None, env=env, timeout=30)
    before = engine.record_ids()
    nonce = new_nonce()
    started = time.monotonic()
    context = tmp_path / "empty-context"
    context.mkdir()
    with pytest.raises(HelperError, match=f"printed nothing for 10s.*{IDLE_TIMEOUT_ENV}"):
        _helper_build(resolved, HANG.format(image=engine.busybox_image, nonce=nonce),
                      nonce, str(context), "type=tar,dest=-", _drain, BUILD_TIMEOUT, False, "")  # fmt: skip
    assert time.monotonic() - started < 90  # not the 900 s deadline
    # the cancelled build's records went with the helper's cleanup
    assert new_records(engine, before) == []


@pytest.mark.docker
def test_a_slow_helper_that_makes_progress_runs_on(tracked: Tracker, tmp_path: Path) -> None:
    """The helper's heartbeat prints when its output files grew: a command silent for 30 s
    whose file grows every 3 s outlives an idle timeout of 15 s (through buildx's plain
    progress, on both engines; 15, not 10: the heartbeat ticks every 5 s, and a loaded
    machine delays the build's first line)."""
    engine = tracked.engine
    env = {**engine.env(), IDLE_TIMEOUT_ENV: "15"}
    resolved = ready_builder(None, env=env, timeout=30)
    nonce = new_nonce()
    slow = "mkdir /out && i=0 && while [ $i -lt 10 ]; do echo x >>/out/f; sleep 3; i=$((i+1)); done"
    argv = [
        "/.bb/bin/sh",
        "-c",
        f"export PATH=/.bb/bin; : slow-{nonce}; " + with_heartbeat(slow, "/out/*"),
    ]
    dockerfile = (
        "FROM scratch\n"
        f"RUN --mount=type=bind,from={engine.busybox_image},target=/.bb {json.dumps(argv)}\n"
    )
    context = tmp_path / "empty-context"
    context.mkdir()
    size, run = _helper_build(resolved, dockerfile, nonce, str(context), "type=tar,dest=-",
                              _drain, BUILD_TIMEOUT, False, "")  # fmt: skip
    assert run.seconds > 25 and size > 0
    assert run.cleanup.left == ()


def test_a_bad_idle_timeout_is_a_usage_error_before_docker(tmp_path: Path) -> None:
    env = {**nowhere(tmp_path), IDLE_TIMEOUT_ENV: "3"}
    for args in (["show", "abcd"], ["export", "abcd", "--to", str(tmp_path / "x.tar")]):
        line = one_line_usage_error(cli(*args, env=env))
        assert IDLE_TIMEOUT_ENV in line and "from 10 to 900" in line


def test_cancelled_kills_the_command_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(StreamCancelled):
        run_streaming(["sh", "-c", "while :; do echo tick; sleep 0.1; done"], stdin=b"",
                      sink=lambda s: s.read(), timeout=60, env=dict(os.environ),
                      idle_timeout=30, cancelled=lambda: time.monotonic() - started > 0.5)  # fmt: skip
    assert time.monotonic() - started < 5


def test_a_stop_before_the_start_starts_nothing(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    with pytest.raises(StreamCancelled):
        run_streaming(["sh", "-c", f"touch {ran}"], stdin=b"", sink=lambda s: s.read(),
                      timeout=60, env=dict(os.environ), cancelled=lambda: True)  # fmt: skip
    assert not ran.exists()
