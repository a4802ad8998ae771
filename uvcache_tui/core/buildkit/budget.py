"""Timeouts: one budget per listing for engines that have not answered, validated values.

An engine that accepts connections but never answers used to cost one full `--timeout` per
call (buildx ls, then the Engine API: 20 s by default). Now every call that waits on an
engine which has not answered yet gets at most what is left of one budget shared by the
whole listing (`--connect-timeout`, default 5 s, or `UVCACHE_TUI_DOCKER_CONNECT_TIMEOUT`);
once an engine has answered, its calls get the per-call `--timeout` (a big `/system/df` may
legitimately take a while). An engine that failed is remembered and not asked again.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_TIMEOUT = 10.0
"""Seconds per Docker call once the engine has answered (`--timeout`)."""
DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds, for one whole listing, to wait on engines that have not answered yet."""
MAX_SECONDS = 3600.0
CONNECT_TIMEOUT_ENV = "UVCACHE_TUI_DOCKER_CONNECT_TIMEOUT"


def parse_seconds(text: str, what: str = "timeout") -> float:
    """A finite number of seconds in (0, 3600]; raises ValueError with a one-line reason."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number of seconds, not {text!r}") from None
    if not math.isfinite(value) or value <= 0 or value > MAX_SECONDS:
        raise ValueError(
            f"{what} must be more than 0 and at most {MAX_SECONDS:g} seconds, not {text!r}"
        )
    return value


def check_seconds(value: float, what: str = "timeout") -> float:
    """The same check for a float given through the Python API."""
    return parse_seconds(repr(float(value)), what)


def connect_timeout_from_env(env: Mapping[str, str]) -> tuple[float, str | None]:
    """The budget from `UVCACHE_TUI_DOCKER_CONNECT_TIMEOUT` (default when unset).

    Returns (seconds, warning); an invalid value gives the default and a warning.
    """
    raw = env.get(CONNECT_TIMEOUT_ENV)
    if raw is None or raw.strip() == "":
        return DEFAULT_CONNECT_TIMEOUT, None
    try:
        return parse_seconds(raw, CONNECT_TIMEOUT_ENV), None
    except ValueError as exc:
        return DEFAULT_CONNECT_TIMEOUT, f"{exc}; using {DEFAULT_CONNECT_TIMEOUT:g}"


@dataclass
class Budget:
    """The time left for engines that have not answered yet, shared by one listing's calls.

    The clock starts with the first wait on an engine (local commands such as `docker
    buildx version` or `docker context inspect` do not count), so the first wait gets the
    whole budget. Thread-safe: builders are read in parallel. `failed` maps an engine host
    to the error it gave, so that it is not asked (and waited on) again in the listing.
    """

    seconds: float
    deadline: float | None = None
    failed: dict[str, tuple[str, bool]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _deadline(self) -> float:
        with self._lock:
            if self.deadline is None:
                self.deadline = time.monotonic() + self.seconds
            return self.deadline

    @classmethod
    def start(cls, seconds: float | None = None) -> Budget:
        """A budget starting now (default `DEFAULT_CONNECT_TIMEOUT`)."""
        return cls(DEFAULT_CONNECT_TIMEOUT if seconds is None else check_seconds(seconds))

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._deadline() - time.monotonic())

    def cap(self, timeout: float) -> float:
        """The timeout for a call to an engine that has not answered: within the budget.

        The result is rounded to milliseconds so that messages show the wait that was
        allowed (`within 5s`) rather than float noise.
        """
        return round(min(timeout, self.remaining()), 3)

    @property
    def spent(self) -> bool:
        """Less than 10 ms left: a call would only fail with a meaningless timeout."""
        return self.remaining() < 0.01

    def remember(self, host: str, error: str, timed_out: bool) -> None:
        """Engine `host` failed with `error`; do not ask it again in this listing."""
        with self._lock:
            self.failed.setdefault(host, (error, timed_out))

    def failure(self, host: str) -> tuple[str, bool] | None:
        """(error, timed_out) if `host` already failed in this listing."""
        with self._lock:
            return self.failed.get(host)
