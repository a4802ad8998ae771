"""The doctor: where a Docker build's uv cache goes, and the fix when it is not where the
cache mount is. `commands` reads uv out of a RUN, `cachedir` applies uv's precedence,
`checks` holds one function per finding code, `report` runs them over a Dockerfile."""

from uvcache_tui.core.doctor.findings import RULES, Finding, Fix
from uvcache_tui.core.doctor.report import DockerfileDiagnosis, diagnose_dockerfile

__all__ = ["RULES", "DockerfileDiagnosis", "Finding", "Fix", "diagnose_dockerfile"]
