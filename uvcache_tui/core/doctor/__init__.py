"""The doctor: where a Docker build's uv cache goes, and the fix when it is not where the
cache mount is. `commands` reads uv out of a RUN, `cachedir` applies uv's precedence,
`runs` pairs each uv invocation with its cache dir and mount, `rules` builds one finding
per code, `checks` decides which apply, `report` runs them over a Dockerfile."""

from uvcache_tui.core.doctor.findings import RULES, Finding, Fix
from uvcache_tui.core.doctor.report import DockerfileDiagnosis, diagnose_dockerfile

__all__ = ["RULES", "DockerfileDiagnosis", "Finding", "Fix", "diagnose_dockerfile"]
