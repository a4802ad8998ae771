"""uvcache-tui: where your uv cache lives, what it costs, and how to clean it safely."""

__version__ = "0.1.0"
