"""`python -m uvcache_tui` runs the same entry point as the `uvcache-tui` script."""

from uvcache_tui.cli import run

raise SystemExit(run())
