"""`!dream key=value ...`: the words after the command, as engine options.

Keys are case-insensitive and have friendly names (`layer`, `strength`, `size`); a bare
word that names a preset means `preset=<word>`; `zoom` and `noise` also stand alone, and
`noise` and `format` are the bot's own keys (`bot/dream/animation.py`). Unknown keys get a
suggestion.
"""
from __future__ import annotations

import shlex

from dreaming.errors import BadParam, UnknownOption
from dreaming.params import OPTIONS, DreamParams, option_name
from dreaming.parsing import did_you_mean

from bot.dream.animation import BARE_WORDS, FORM_OPTIONS, ON, DreamForm

#: the option words chat offers (the engine's `OPTIONS` less those that are the operator's
#: business: memory, speed and the grid of shifts) -> the `DreamParams` field each sets
OPERATOR_ONLY = ("tile", "octave_scale", "precision", "jitter_grid")
KEYS = {word: field for word, field in OPTIONS.items() if field not in OPERATOR_ONLY}
MAX_ARGS_CHARS = 500


def parse_dream_args(text: str, presets: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """`"layer=mixed4c Strength=0.02"` -> `{"layers": "mixed4c", "strength": "0.02"}`."""
    if len(text) > MAX_ARGS_CHARS:
        raise BadParam("options", text[:40] + "…", f"at most {MAX_ARGS_CHARS} characters")
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    options: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        key = key.strip().lower()
        if not sep:
            if key in presets:
                key, value = "preset", key
            elif key in BARE_WORDS:  # `!dream zoom`, `!dream noise`
                value = ON
            else:
                raise UnknownOption(word[:40], did_you_mean(key, [*KEYS, *FORM_OPTIONS, *presets]), _valid())
        if key not in KEYS and key not in FORM_OPTIONS:
            raise UnknownOption(key[:40], did_you_mean(key, [*KEYS, *FORM_OPTIONS]), _valid())
        # one word per setting (layer -> layers), as people know it
        option = option_name(KEYS[key]) if key in KEYS else key
        if option in options:
            raise BadParam(key, value, "given twice; give it once")
        if not value.strip():
            raise BadParam(key, value, "needs a value, e.g. steps=20")
        options[option] = _layers_that_ran(value.strip()) if option == "layers" else value.strip()
    return options


def _valid() -> list[str]:
    return sorted(set(KEYS) - {"layers"} | set(FORM_OPTIONS))


def settings_line(params: DreamParams, form: DreamForm = DreamForm()) -> str:
    """The one line that reproduces a dream here: `DreamParams.describe()` plus the size and
    the request's form (from noise, an animation's format), less the operator's words
    (precision, jitter_grid: this bot's own, the same on replay).

    Every word is a `!dream` option, so the line can be pasted back after `!dream`.
    """
    words = [w for w in f"{params.describe()} size={params.max_side}".split()
             if OPTIONS.get(w.partition("=")[0]) not in OPERATOR_ONLY]
    return " ".join(words + form.words(params))


def options_from_settings_line(content: str) -> dict[str, str]:
    """Read back the settings line of a result message (the text between backticks).

    `layers=mixed4c→mixed5` reads as the layer that ran, `mixed5`, so a replay runs
    exactly what the result shows.
    """
    start = content.find("`")
    end = content.find("`", start + 1)
    if start < 0 or end < 0:
        return {}
    options = {}
    for word in content[start + 1:end].split():
        key, _, value = word.partition("=")
        if key in FORM_OPTIONS and value:
            options[key] = value
        elif key in KEYS and value:
            options[option_name(KEYS[key])] = _layers_that_ran(value) if KEYS[key] == "layers" else value
    return options


def _layers_that_ran(spec: str) -> str:
    """`mixed4c→mixed5:1.5,mixed3` -> `mixed5:1.5,mixed3`: a pasted settings line runs what it shows."""
    return ",".join(term.split("→")[-1] for term in spec.split(","))
