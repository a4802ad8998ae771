"""Fixtures of the core tests."""

from __future__ import annotations

import pytest

from tests.core.scan_walks import WALKS, Walk
from uvcache_tui.core.scan import fork_is_safe


@pytest.fixture(params=WALKS)
def walk(request: pytest.FixtureRequest) -> Walk:
    """Each of the scanner's walks in turn; a test taking it runs against both."""
    if request.param == "parallel" and not fork_is_safe():
        pytest.skip("the parallel walk only forks from a single-threaded process on Linux")
    return Walk(request.param)
