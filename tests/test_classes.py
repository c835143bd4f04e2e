"""ImageNet class names for the class objective: the shipped list, loose typing, clear errors."""
from __future__ import annotations

import pytest

from dreaming.classes import CLASS_COUNT, class_name, class_names, parse_class
from dreaming.errors import BadParam, UnknownClass
from dreaming.presets import params_from_options


def test_the_shipped_list_is_keras_order():
    names = class_names()
    assert len(names) == CLASS_COUNT
    assert (names[0], names[1], names[954], names[948], names[999]) == (
        "tench", "goldfish", "banana", "Granny_Smith", "toilet_tissue")


@pytest.mark.parametrize("typed, index", [
    ("banana", 954), ("Banana", 954), ("Granny Smith", 948), ("granny_smith", 948), ("granny-smith", 948),
    ("954", 954), (" 0 ", 0), (999, 999), ("sulphur crested cockatoo", 89), ("crane", 134),
])
def test_names_and_numbers_resolve(typed, index):
    assert parse_class(typed) == index


def test_a_typo_gets_the_nearest_name():
    with pytest.raises(UnknownClass) as caught:
        parse_class("bananna")
    text = str(caught.value)
    assert caught.value.suggestion == "banana" and "Did you mean 'banana'?" in text
    assert "\n" not in text and "0-999" in text


@pytest.mark.parametrize("typed", ["1000", -1, True, 1.5, None])
def test_out_of_range_or_wrong_type_is_refused(typed):
    with pytest.raises(BadParam) as caught:
        parse_class(typed)
    assert caught.value.name == "class"


def test_the_class_option_sets_the_objective_and_reads_back():
    params = params_from_options({"class": "Granny Smith", "seed": 1})
    assert params.target_class == 948 and class_name(params.target_class) == "Granny_Smith"
    line = params.describe()
    assert "class=Granny_Smith" in line and "layers=" not in line
    again = params_from_options(dict(word.split("=", 1) for word in line.split() if word.startswith("class=")))
    assert again.target_class == 948


def test_the_class_objective_is_inception_only():
    with pytest.raises(BadParam, match="model=inception_v3 only"):
        params_from_options({"class": "banana", "model": "vgg16"})
