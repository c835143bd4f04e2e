"""The two small parsers every front end shares: numbers as people type them, and
"did you mean" for names that don't exist.

The CLI, preset files, the bot's `!dream` words, its settings commands and its config
all read numbers and names through here, so they accept and refuse the same things.
"""
from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

from dreaming.errors import BadParam


def parse_number(label: str, value: object, *, whole: bool, text_ok: bool = True) -> int | float:
    """`value` as an int (`whole`) or a float, or `BadParam(label, ...)` saying what to type.

    Text is accepted when `text_ok` (command lines and chat); YAML and JSON must use real
    numbers. Booleans, NaN and infinities are refused everywhere; a whole float (3.0) is
    not a whole number, so "steps=2.5" and "steps=3.0" read alike: refused.
    """
    kind = "a whole number" if whole else "a number"
    if isinstance(value, str) and text_ok:
        try:
            value = int(value.strip()) if whole else float(value.strip())
        except ValueError:
            raise BadParam(label, value, f"must be {kind}") from None
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        raise BadParam(label, value, f"must be {kind}")
    if whole:
        return value  # a whole number of any size: the caller clamps it
    try:
        number = float(value)
    except OverflowError:  # an int past float's range
        number = math.inf
    if not math.isfinite(number):
        raise BadParam(label, value, "must be a finite number")
    return number


def did_you_mean(word: object, valid: Iterable[str]) -> str | None:
    """The valid name `word` most likely meant (a typo's nearest spelling), or None."""
    close = difflib.get_close_matches(str(word).strip().lower(), list(valid), n=1, cutoff=0.6)
    return close[0] if close else None
