"""`pool.models`: the networks a bot offers, checked at start-up, and one-line refusals of a
model, or a class objective, it does not offer. No network runs here."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.config import ConfigError, load_config
from bot.dream.messages import error_text
from bot.i18n import use
from bot.models import ClassNotOffered, ModelNotOffered, check_model
from dreaming.networks import CLASSIFIER_KERNEL
from dreaming.presets import params_from_options


def config_with(tmp_path: Path, pool: str):
    path = tmp_path / "config.yaml"
    path.write_text("pool:\n" + "".join(f"  {line}\n" for line in pool.strip().splitlines()), encoding="utf-8")
    return load_config(path, env={})


def h5_with(path: Path, shape: tuple[int, ...]) -> Path:
    import h5py

    with h5py.File(path, "w") as data:
        data.create_dataset("layers/dense/vars/0", data=np.zeros(shape, "float32"))
    return path


def test_the_default_offers_inception_with_the_bundled_weights_and_no_class():
    pool = load_config(None, env={}).pool
    assert pool.model_weights == {"inception_v3": "inception-2015"} and pool.class_model is None


def test_models_are_read_as_a_list_or_with_their_weights(tmp_path):
    top = h5_with(tmp_path / "top.weights.h5", CLASSIFIER_KERNEL)
    pool = config_with(tmp_path, f"models: {{inception_v3: {top}, vgg16: null}}").pool
    assert pool.model_weights == {"inception_v3": str(top), "vgg16": "imagenet"}
    assert pool.class_model == "inception_v3"
    listed = config_with(tmp_path, "weights: imagenet\nmodels: [vgg16, inception_v3]").pool
    assert list(listed.model_weights) == ["vgg16", "inception_v3"] and listed.class_model == "inception_v3"


@pytest.mark.parametrize("models, fragment", [
    ("[vgg61]", "unknown model 'vgg61'; did you mean 'vgg16'?"),
    ("[]", "must list at least one model"),
    ("{vgg16: inception-2015}", "which are InceptionV3's; use imagenet or a path"),
    ("{vgg16: /nowhere/vgg16.weights.h5}", "not an .h5 file; use imagenet or a path to one"),
    ("{vgg16: 3}", "must be a mapping of names to strings"),
])
def test_bad_models_are_one_line_naming_the_key(tmp_path, models, fragment):
    with pytest.raises(ConfigError) as caught:
        config_with(tmp_path, f"models: {models}")
    text = str(caught.value)
    assert "pool.models" in text and fragment in text and "\n" not in text


def test_a_model_not_offered_is_refused_in_one_line():
    params = params_from_options({"model": "vgg16"})
    with pytest.raises(ModelNotOffered) as caught:
        check_model(params, ("inception_v3",), None)
    use("de")
    german = error_text(caught.value)
    use("en")  # the default, for the tests after this one
    assert "Modell 'vgg16'" in german and "inception_v3" in german
    assert error_text(caught.value) == "This bot doesn't offer the model 'vgg16'. Pick one of: inception_v3."
    check_model(params, ("inception_v3", "vgg16"), None)  # offered: no refusal


def test_a_class_without_a_model_with_the_top_is_refused_in_one_line(tmp_path):
    params = params_from_options({"class": "banana"})
    with pytest.raises(ClassNotOffered) as caught:
        check_model(params, ("inception_v3",), None)
    use("en")
    text = error_text(caught.value)
    assert "classifier" in text and "\n" not in text
    check_model(params, ("inception_v3",), "inception_v3")  # with one: no refusal
    no_top = h5_with(tmp_path / "notop.weights.h5", (3, 3, 3, 32))
    assert config_with(tmp_path, f"models: {{inception_v3: {no_top}}}").pool.class_model is None


def test_the_chat_words_take_model_and_class():
    from bot.dream.options import parse_dream_args

    assert parse_dream_args('model=vgg16 class="granny smith"') == {"model": "vgg16", "class": "granny smith"}


# -- through the bot, against the fake Discord: refused before anything queues ----------------

module_loop = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.timeout(120)
@module_loop
async def test_the_bot_refuses_a_model_it_does_not_offer(world, start_bot, idle_pool):
    from tests.botkit.files import cat

    await start_bot(idle_pool)
    command = await world.say(world.alice, "!dream model=vgg16", cat())

    reply = await world.reply_to(command)

    assert "doesn't offer the model 'vgg16'" in reply.content and "\n" not in reply.content.strip()
    assert not reply.files and idle_pool.stats().queued == 0


@pytest.mark.timeout(120)
@module_loop
async def test_the_bot_refuses_a_class_without_a_model_with_the_top(world, start_bot, idle_pool):
    from tests.botkit.files import cat

    await start_bot(idle_pool)
    rec = await world.slash(world.alice, "dream", image=cat(), **{"class": "banana"})

    note = await world.response_to(rec, lambda m: "classifier" in m.content)

    assert note.ephemeral and idle_pool.stats().queued == 0


def test_the_operators_first_model_is_the_default_only_where_nothing_names_one():
    from bot.dream.options import settings_line
    from bot.models import with_default_model
    from dreaming.presets import Preset, load_presets
    from dreaming.resolve import resolve_request

    offered = ("vgg16", "inception_v3")
    presets = {**load_presets(), "grain": Preset("grain", "VGG grain", (("model", "inception_v3"),))}

    def model_of(options, preset=None):
        params, _ = resolve_request(with_default_model(options, presets.get(preset), offered), presets)
        return params

    assert model_of({}).model == "vgg16"  # nothing named: the operator's first
    assert model_of({"layers": "mixed4c"}).model == "inception_v3"  # the layer's network
    assert model_of({"preset": "grain"}, "grain").model == "inception_v3"  # the preset's
    # A result's settings line, pasted back where vgg16 is first, dreams on the same network.
    first = model_of({"model": "inception_v3", "layers": "mixed5", "seed": 3})
    again = model_of(options_from(settings_line(first)))
    assert (again.model, again.layers[0].layer) == ("inception_v3", "mixed5")


def options_from(line: str) -> dict[str, str]:
    from bot.dream.options import options_from_settings_line
    return options_from_settings_line(f"`{line}`")
