"""The TUI's Doctor: where a Docker build's uv cache goes, per builder, and the fix.

- `load`: the check run in the worker thread (the core's doctor over the Dockerfile given
  with `--dockerfile`, Docker's builders, the base images, `--image`), as one value.
- `texts`: what the view says (Rich renderables, the CLI's words).
- `view`: `DoctorView`, which owns its check worker and posts dataclass messages.
- `screen`: `DoctorScreen`, reached with `6`, with its keys.
"""
