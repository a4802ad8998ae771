"""Short external commands started at once (`proc.commands_started`): they really run side
by side, each answer is read in turn, and what was not read is killed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from uvcache_tui.core.proc import CommandTimeout, commands_started, run_command

ENV = {"PATH": "/usr/bin:/bin"}


def waits_for(mine: Path, other: Path, answer: str) -> list[str]:
    """A command that marks itself started, then waits for the other one's mark: run one
    after the other, two of them would wait for ever."""
    script = f'touch "{mine}"; while [ ! -e "{other}" ]; do sleep 0.02; done; echo {answer}'
    return ["sh", "-c", script]


def test_commands_run_at_once_and_answer_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    commands = [waits_for(first, second, "one"), waits_for(second, first, "two")]
    with commands_started(commands, env=ENV) as started:
        answers = [command.result(timeout=30).stdout for command in started]
    assert answers == ["one\n", "two\n"]


def test_commands_not_read_are_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = f'echo $$ > "{pid_file}.tmp"; mv "{pid_file}.tmp" "{pid_file}"; exec sleep 60'
    with commands_started([["true"], ["sh", "-c", script]], env=ENV) as started:
        assert started[0].result(timeout=30).returncode == 0
        deadline = time.monotonic() + 30
        while not pid_file.exists():
            assert time.monotonic() < deadline, "the second command never started"
            time.sleep(0.02)
        pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped at the block's end
        os.kill(pid, 0)


def test_a_timeout_counts_from_the_start() -> None:
    with commands_started([["sleep", "3"], ["sleep", "60"]], env=ENV) as started:
        assert started[0].result(timeout=30).returncode == 0
        began = time.monotonic()
        with pytest.raises(CommandTimeout):
            started[1].result(timeout=2)  # its 2 seconds went by while the first ran
        assert time.monotonic() - began < 1.5


def test_an_answer_already_there_is_read_after_the_timeout() -> None:
    with commands_started([["sleep", "2"], ["echo", "early"]], env=ENV) as started:
        assert started[0].result(timeout=30).returncode == 0
        assert started[1].result(timeout=1).stdout == "early\n"  # exited within its second


def test_run_command_is_one_started_command() -> None:
    result = run_command(["sh", "-c", "echo out; echo err >&2; exit 3"], timeout=30, env=ENV)
    assert (result.args, result.returncode) == (("sh", "-c", "echo out; echo err >&2; exit 3"), 3)
    assert (result.stdout, result.stderr) == ("out\n", "err\n")
