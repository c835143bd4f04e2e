"""ImageNet's 1000 classes, by name or number, for the class objective (`--class banana`).

The names are Keras's (`imagenet_class_index.json`, index 0 "tench" ... 999 "toilet_tissue"),
shipped in `dreaming/data/imagenet_classes.txt`, one a line. People type them loosely:
"banana", "Granny Smith", "granny_smith" and "948" all work; case, spaces, `_` and `-` don't
matter. A typo gets the nearest name as a suggestion. Two names appear twice in ImageNet
("crane": the bird 134 and the machine 517; "maillot": 638 and 639): a name picks the first,
a number reaches either.

No TensorFlow here: the bot process checks class names too.
"""
from __future__ import annotations

import re
from functools import cache
from importlib import resources

from dreaming.errors import BadParam, UnknownClass
from dreaming.parsing import did_you_mean

#: classes of ImageNet's classifier (its logits)
CLASS_COUNT = 1000
_SEPARATORS = re.compile(r"[\s_\-]+")
_NUMBER = re.compile(r"[+-]?\d+")


def parse_class(value: object) -> int:
    """The class index for a name or number as typed (text or int); `UnknownClass` or
    `BadParam("class", ...)` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadParam("class", value, "give an ImageNet class name, e.g. banana, or a number 0-999")
    text = str(value).strip()
    if _NUMBER.fullmatch(text):
        index = int(text)
        if not 0 <= index < CLASS_COUNT:
            raise BadParam("class", value, f"class numbers are 0 to {CLASS_COUNT - 1}")
        return index
    key = _key(text)
    index = _index().get(key)
    if index is None:
        close = did_you_mean(key, _index())
        raise UnknownClass(text, class_names()[_index()[close]] if close else None, [])
    return index


def class_name(index: int) -> str:
    """The name of class `index`, as Keras spells it ("Granny_Smith")."""
    return class_names()[index]


@cache
def class_names() -> tuple[str, ...]:
    """The 1000 names in class order."""
    text = resources.files("dreaming").joinpath("data/imagenet_classes.txt").read_text(encoding="utf-8")
    names = tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
    assert len(names) == CLASS_COUNT, "the shipped class list has one name per class"
    return names


@cache
def _index() -> dict[str, int]:
    """Normalised name -> first index with it."""
    index: dict[str, int] = {}
    for i, name in enumerate(class_names()):
        index.setdefault(_key(name), i)
    return index


def _key(name: str) -> str:
    return _SEPARATORS.sub("_", name.strip().lower())
