"""Values as Go and the docker tools print them: sizes, timestamps, durations, `%q` strings.

Pure functions with no BuildKit knowledge, shared by the Engine API and buildx readers
(records.py, buildx.py) and by the prune planner.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

MAX_DURATION_SECONDS = 36500 * 86400.0
"""Far below Go's largest duration (~292 years), which `until` must fit in."""

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
}


def parse_duration(text: str) -> float:
    """Seconds from `90m`, `1h30m`, `7d`, `2w` (Go units plus d/w); raises ValueError."""
    compact = text.strip().replace(" ", "")
    if not compact:
        raise ValueError("empty duration")
    pos = 0
    total = 0.0
    for match in _DURATION_RE.finditer(compact):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(compact):
        raise ValueError(f"invalid duration {text!r} (examples: 30m, 12h, 7d, 1h30m)")
    if not total > 0:
        raise ValueError(f"duration must be positive: {text!r}")
    if total > MAX_DURATION_SECONDS:
        raise ValueError(f"duration must be at most 36500d (100 years): {text!r}")
    return total


def go_duration(seconds: float) -> str:
    """A duration every Engine accepts for `until` (20.10 takes Go durations only)."""
    return f"{max(1, int(round(seconds)))}s"


_AGO_RE = re.compile(
    r"^(?:about |less than )?(?P<n>an?|\d+) (?P<unit>second|minute|hour|day|week|month|year)s?"
    r" ago$",
    re.IGNORECASE,
)
_AGO_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
    "month": 2592000,
    "year": 31536000,
}


def parse_ago(text: str | None) -> float | None:
    """Approximate age from go-units `HumanDuration` ("About an hour ago", "2 weeks ago")."""
    if not text:
        return None
    match = _AGO_RE.match(text.strip())
    if match is None:
        return None
    n = 1 if match.group("n").lower() in ("a", "an") else int(match.group("n"))
    return float(n * _AGO_SECONDS[match.group("unit").lower()])


_GO_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
}

_GO_ESCAPE_RE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)")


def go_unquote(quoted: str) -> str:
    """Undo Go's `%q` (strconv.Quote): the id in a description is printed that way."""
    body = quoted[1:-1] if len(quoted) >= 2 and quoted[0] == quoted[-1] == '"' else quoted

    def repl(match: re.Match[str]) -> str:
        esc = match.group(1)
        if esc[0] in "xuU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        if len(esc) == 3 and esc.isdigit():
            return chr(int(esc, 8))
        return _GO_ESCAPES.get(esc, esc)

    return _GO_ESCAPE_RE.sub(repl, body)


_SIZE_RE = re.compile(r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[kKMGTPEZY]?i?B)?\s*\*?\s*$")
_DECIMAL = {"": 1, "K": 1000, "M": 1000**2, "G": 1000**3, "T": 1000**4, "P": 1000**5}
_DECIMAL.update({"E": 1000**6, "Z": 1000**7, "Y": 1000**8})


def parse_human_size(text: str) -> int | None:
    """Bytes from go-units strings: `HumanSize` ("382kB", base 1000) or `BytesSize` ("1KiB")."""
    match = _SIZE_RE.match(text.strip().rstrip("*"))
    if match is None:
        return None
    unit = match.group("unit") or "B"
    prefix = unit[0].upper() if unit != "B" else ""
    if prefix not in _DECIMAL:
        return None
    factor = 1024 ** list(_DECIMAL).index(prefix) if "i" in unit else _DECIMAL[prefix]
    return round(float(match.group("num")) * factor)


_TIME_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?(?:\s+[A-Za-z]{1,6})?(?:\s+m=[+-][\d.]+)?\s*$"
)


def parse_timestamp(text: str | None) -> datetime | None:
    """RFC 3339 (Engine API) or Go `time.String()` (buildx) → aware datetime; zero → None."""
    if not text:
        return None
    match = _TIME_RE.match(text.strip())
    if match is None:
        return None
    frac = (match.group("frac") or "0")[:6].ljust(6, "0")
    tz_text = match.group("tz") or "Z"
    if tz_text == "Z":
        tz = timezone.utc
    else:
        digits = tz_text.replace(":", "")
        sign = -1 if digits[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(digits[1:3]), minutes=int(digits[3:5])))
    value = datetime.fromisoformat(f"{match.group('date')}T{match.group('time')}.{frac}")
    if value.year <= 1:
        return None
    return value.replace(tzinfo=tz).astimezone(timezone.utc)


def iso(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a `Z`, for JSON."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_bool(value: object) -> bool | None:
    """Booleans arrive as JSON booleans or as "true"/"false" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def optional_int(value: object) -> int | None:
    """An int from an int, a digit string or a human size string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        return parse_human_size(text)
    return None
