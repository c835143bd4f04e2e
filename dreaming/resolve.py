"""One place where a dream's settings are resolved, and what was clamped is recorded.

Order: built-in defaults → the preset → the operator's caps (config.yaml) → the user's
request. Numbers the user asks for beyond a cap are brought into range, not refused;
the caller shows the returned `Clamp`s so the user knows. (Per-server limits slot in
between the operator's caps and the request.)
"""
from __future__ import annotations

from collections.abc import Mapping

from dreaming.params import INT_FIELDS, LIMITS, Clamp, DreamParams, Range, clamp, option_field
from dreaming.parsing import parse_number
from dreaming.presets import Preset, params_from_options

def narrow(limits: Mapping[str, Range], caps: Mapping[str, float],
           floors: Mapping[str, float] | None = None) -> dict[str, Range]:
    """`limits` with each capped field's top lowered to its cap, and each floored field's
    bottom raised to its floor (an operator's limits only ever narrow the engine's)."""
    narrowed = {**limits, **{field: limits[field].below(cap) for field, cap in caps.items()}}
    for field, floor in (floors or {}).items():
        narrowed[field] = narrowed[field].above(floor)
    return narrowed


def resolve_request(options: Mapping[str, object], presets: Mapping[str, Preset],
                    caps: Mapping[str, float] | None = None, *,
                    floors: Mapping[str, float] | None = None,
                    default_preset: str | None = None) -> tuple[DreamParams, list[Clamp]]:
    """The `DreamParams` to run for `options`, and every value that had to be clamped.

    `caps` lower fields' maxima and `floors` raise their minima (the operator's
    `min_octave_scale`: a smaller scale multiplies the work at the same caps).
    `default_preset` is used when the request names none (else the built-in default).

    Unknown keys, unknown layers or presets and malformed numbers still raise (`BadParam`,
    `UnknownLayer`, `UnknownPreset`); only numbers out of range are clamped.
    """
    limits = narrow(LIMITS, caps or {}, floors)
    clamped: list[Clamp] = []
    given: dict[str, object] = {"preset": default_preset}
    for key, value in options.items():
        field = option_field(key)
        if value is None or field not in limits or key == "octaves" and "x" in str(value).lower():
            given[key] = value
            continue
        # A float for a whole-number field (a slash option) is clamped and truncated below.
        number = parse_number(key, value, whole=field in INT_FIELDS and not isinstance(value, float))
        used = limits[field].clamp(number)
        used = int(used) if field in INT_FIELDS else float(used)
        if used != number:
            clamped.append(Clamp(key, number, used))
        given[key] = used
    params, more = clamp(params_from_options(given, presets), limits)
    return params, clamped + more  # `more`: preset values above the caps
