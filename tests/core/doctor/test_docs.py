"""docs/doctor.md documents every finding code, and its examples give that code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from uvcache_tui.core.doctor import RULES, diagnose_dockerfile

DOC = (Path(__file__).resolve().parents[3] / "docs" / "doctor.md").read_text()


def _section(code: str) -> str:
    rule = RULES[code]
    start = DOC.index(f"## {code} {rule.name}\n")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end >= 0 else None]


IMAGE_ONLY = ("UVD011",)
"""Found in an image's layers, not in a Dockerfile: tests/core/doctor/test_image.py."""


@pytest.mark.parametrize("code", sorted(set(RULES) - set(IMAGE_ONLY)))
def test_every_code_has_a_section_whose_example_gives_it(code: str) -> None:
    (example,) = re.findall(r"```dockerfile\n(.*?)```", _section(code), re.DOTALL)
    text = example if example.startswith("FROM") else "FROM python:3.12-slim\n" + example
    engine = "20.10.24" if code == "UVD003" else "28.5.1"
    found = {f.code for f in diagnose_dockerfile(text, engine).findings}
    assert code in found, (code, found)


def test_image_codes_have_a_section() -> None:
    for code in IMAGE_ONLY:
        assert _section(code)
