"""Parse campaign budgets such as `90s`, `10m`, `2h`, `1h30m`."""

from __future__ import annotations

import re

_BUDGET_RE = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


class BudgetError(ValueError):
    """A budget string that is not of the accepted form."""


def parse_budget(text: str) -> float:
    """Return the budget in seconds; reject anything but `<n>h<n>m<n>s` combinations in that order."""
    s = text.strip().lower()
    if s.startswith("-"):
        raise BudgetError(f"invalid budget {text!r}: a budget cannot be negative; use e.g. 90s, 10m or 2h")
    m = _BUDGET_RE.fullmatch(s)
    if not s or m is None or not any(m.groups()):
        raise BudgetError(
            f"invalid budget {text!r}: use a duration such as 90s, 10m, 2h or 1h30m "
            "(hours, minutes, seconds, in that order, whole numbers)"
        )
    hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise BudgetError(f"invalid budget {text!r}: it must be longer than zero seconds")
    return float(total)


def format_duration(seconds: float) -> str:
    """Human form of a duration, e.g. 1h02m03s, for progress lines."""
    s = max(0, int(round(seconds)))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m{sec:02d}s"
    if m:
        return f"{m}m{sec:02d}s"
    return f"{sec}s"
