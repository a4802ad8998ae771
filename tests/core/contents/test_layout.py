"""Wheel file names and package names split without the pattern where a split settles it:
the same answers as the pattern (`layout._WHEEL_RE`) and PEP 503's rule."""

from __future__ import annotations

import re

import pytest

from uvcache_tui.core.contents import layout

NAMES = [
    "numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "idna-3.10-py3-none-any.whl",
    "pkg-1.0-1-py3-none-any.whl",  # a build tag
    "pkg-1.0-1b-py3-none-any.whl",
    "pkg-1.0-b1-py3-none-any.whl",  # not a build tag: no match
    "pkg-1.0-\u0661x-py3-none-any.whl",  # an Arabic-Indic digit starts a build tag too
    "pkg-1.0-\u00b2-py3-none-any.whl",  # a superscript is no decimal digit
    "pkg-1.0-py3-none-.whl",
    "-1.0-py3-none-any.whl",
    "pkg-1.0-py3-none-any",
    "pkg-1.0-py3-none-any.whl\n",  # `$` matches before a final newline
    "pkg-1.0-py3-any.whl",
    "a-b-c-d-e-f-g.whl",
    "weird.whl",
    ".whl",
    "",
]


@pytest.mark.parametrize("filename", NAMES)
def test_wheel_parts_match_the_pattern(filename: str) -> None:
    match = layout._WHEEL_RE.match(filename)
    expected = (
        (match["name"], match["version"], f"{match['python']}-{match['abi']}-{match['platform']}")
        if match
        else None
    )
    assert layout.wheel_parts(filename) == expected


@pytest.mark.parametrize(
    "name", ["idna", "Django", "zope.interface", "a__b", "a--b", "a-b", "A_B.c", "-x-", "é-X", ""]
)
def test_normalize_matches_pep_503(name: str) -> None:
    assert layout.normalize(name) == re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize(
    ("key", "package", "expected"),
    [
        ("3.10-py3-none-any", "idna", ("3.10", "py3-none-any", False)),
        ("1.0-0123456789abcdef", "pkg", ("1.0", None, False)),  # long tags, hashed
        ("1.0", "pkg", ("1.0", None, False)),
        ("idna-3.10-py3-none-any", "idna", ("3.10", "py3-none-any", True)),  # 0.5: the stem
        ("idna-3.10-py3-none-any", "other", ("idna", "3.10-py3-none-any", False)),
        (
            "Zope.Interface-6.0-cp312-cp312-linux_x86_64",
            "zope-interface",
            ("6.0", "cp312-cp312-linux_x86_64", True),
        ),
    ],
)
def test_key_parts(key: str, package: str, expected: tuple[str, str | None, bool]) -> None:
    assert layout.key_parts(key, package) == expected
