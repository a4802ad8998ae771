"""BuildKit's parser (the native `dockerfile` extension) called from many threads at once, as
the TUI's workers call it: every result must equal the serial parse of the same text."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from uvcache_tui.core.dockerfile import DockerfileError, DockerfileSource, parse_dockerfile

TEXTS = (
    # Continuation lines and two mounts.
    "FROM x\nRUN --mount=type=cache,target=/root/.cache/uv \\\n"
    "    --mount=type=bind,source=uv.lock,target=uv.lock \\\n    uv sync --locked\n",
    # The escape directive: the parser's own per-file state.
    "# escape=`\nFROM x\nRUN uv `\n  sync\n",
    # A heredoc RUN, a named stage and COPY --from.
    "# syntax=docker/dockerfile:1\nFROM python:3.12 AS build\nRUN <<EOT bash\nset -e\n"
    "uv pip install --system idna\nEOT\nFROM python:3.12-slim\nCOPY --from=build /a /b\n",
    # JSON form and ARG before FROM.
    'ARG BASE=python:3.12\nFROM ${BASE}\nRUN ["uv", "sync", "--no-cache"]\n',
    # Does not parse: the error path (and its line search, many parses) runs concurrently.
    "FROM x\nRUN a\nRUN <<EOF\nabc\n",
    # Does not parse: no FROM.
    "RUN uv sync\n",
)

Outcome = DockerfileSource | tuple[int | None, str]
THREADS = 12
ROUNDS = 40


def outcome(text: str) -> Outcome:
    try:
        return parse_dockerfile(text)
    except DockerfileError as exc:
        return (exc.line, exc.reason)


def test_concurrent_parses_equal_serial_parses() -> None:
    serial = [outcome(text) for text in TEXTS]
    assert isinstance(serial[0], DockerfileSource) and serial[4] == (3, "unterminated heredoc")
    start = threading.Barrier(THREADS)

    def worker(offset: int) -> list[tuple[int, Outcome]]:
        start.wait()  # every thread enters the parser at the same moment
        seen = []
        for round_number in range(ROUNDS):
            index = (offset + round_number) % len(TEXTS)  # each thread its own order
            seen.append((index, outcome(TEXTS[index])))
        return seen

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    wrong = [(index, got) for seen in results for index, got in seen if got != serial[index]]
    assert wrong == []
    assert sum(len(seen) for seen in results) == THREADS * ROUNDS
