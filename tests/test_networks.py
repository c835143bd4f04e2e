"""Networks other than InceptionV3 (VGG16) and the class objective, offline.

VGG16 and InceptionV3-with-its-top are built here with random weights saved to files: they
test the plumbing (names, preprocessing, plans, loading, errors) and that the objectives
move what they should. Random weights don't dream well, and nothing here says they do.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dreaming.errors import BadParam, NoClassifier, UnknownLayer, WeightsError
from dreaming.layers import describe_layers, format_layer_spec, parse_layer_spec
from dreaming.networks import LOGITS, NETWORKS, VGG16, has_classifier
from dreaming.params import DreamParams
from dreaming.plan import plan_dream
from dreaming.presets import params_from_options

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "docs" / "sample-cat.jpg"


# -- names, lists, plans: no TensorFlow ----------------------------------------------------

@pytest.mark.parametrize("block, conv", [(b, c) for b, convs in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))
                                         for c in range(1, convs + 1)])
def test_vgg_takes_the_blog_and_the_keras_names(block, conv):
    keras_name, blog_name = f"block{block}_conv{conv}", f"conv{block}_{conv}"
    (by_blog,) = parse_layer_spec(blog_name, "vgg16")
    (by_keras,) = parse_layer_spec(keras_name.upper(), "vgg16")
    assert by_blog.layer == by_keras.layer == keras_name
    assert by_blog.requested == blog_name and by_keras.requested is None
    assert by_blog.describe() == f"{blog_name}→{keras_name}"


def test_a_spec_finds_its_network_and_reads_back():
    terms = parse_layer_spec("conv5_1/7:2, conv3_1")
    assert [t.layer for t in terms] == ["block5_conv1", "block3_conv1"] and terms[0].channel == 7
    assert parse_layer_spec(format_layer_spec(terms), "vgg16") == tuple(t.__class__(t.layer, t.weight, t.channel)
                                                                        for t in terms)


def test_an_unknown_layer_for_the_model_names_that_models_layers_and_a_suggestion():
    with pytest.raises(UnknownLayer) as caught:
        params_from_options({"model": "vgg16", "layers": "conv5_9"})
    assert caught.value.suggestion == "conv5_3" and caught.value.valid == list(VGG16.layers)
    with pytest.raises(UnknownLayer) as caught:  # another network's layer: refused for this one
        params_from_options({"model": "vgg16", "layers": "mixed5"})
    assert caught.value.valid == list(VGG16.layers)
    assert "\n" not in str(caught.value) and "block5_conv3" in str(caught.value)


def test_a_model_brings_its_default_layers_and_shows_in_the_settings_line():
    params = params_from_options({"model": "vgg16", "seed": 1})
    assert [t.layer for t in params.layers] == [layer for layer, _ in VGG16.default_layers]
    assert "model=vgg16" in params.describe() and "model=" not in DreamParams().describe()
    with pytest.raises(BadParam, match="inception_v3, vgg16"):
        params_from_options({"model": "vgg19"})


def test_list_layers_shows_each_models_names():
    vgg = subprocess.run([sys.executable, "-m", "dreaming", "--list-layers", "--model", "vgg16"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert vgg.returncode == 0, vgg.stderr
    assert all(f"{name} " in vgg.stdout for name in [*VGG16.layers, *VGG16.aliases])
    assert "mixed" not in vgg.stdout and "runs block3_conv1" in vgg.stdout
    assert [name for name, _ in describe_layers("vgg16")] == [*VGG16.layers, *VGG16.aliases]


def test_plans_and_costs_follow_the_network():
    small = (40, 60)
    assert plan_dream(small, DreamParams()).padded  # under InceptionV3's 75 px
    vgg = params_from_options({"model": "vgg16"})
    assert not plan_dream(small, vgg).padded  # VGG16 takes 32 px
    costs = [VGG16.cost[name].pixel for name in VGG16.layers]
    assert costs == sorted(costs) and len(set(costs)) == len(costs), "deeper layers cost more"
    assert set(VGG16.stride) == set(VGG16.layers) == set(VGG16.cost)
    assert set(NETWORKS) == {"inception_v3", "vgg16"}


def test_the_class_objective_refuses_weights_without_the_top_before_loading():
    done = subprocess.run([sys.executable, "-m", "dreaming", str(SAMPLE), "--class", "banana", "-o", "x.png"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "classifier head" in lines[0] and "--weights imagenet" in lines[0] and ".h5" in lines[0]


# -- the real thing, with random weights ---------------------------------------------------

@pytest.fixture(scope="module")
def vgg_weights(tmp_path_factory) -> Path:
    import keras

    keras.utils.set_random_seed(7)
    path = tmp_path_factory.mktemp("vgg") / "vgg16-random.weights.h5"
    keras.applications.VGG16(include_top=False, weights=None).save_weights(path)
    return path


@pytest.fixture(scope="module")
def inception_top_weights(tmp_path_factory) -> Path:
    import keras

    keras.utils.set_random_seed(7)
    path = tmp_path_factory.mktemp("top") / "inception-top-random.weights.h5"
    keras.applications.InceptionV3(include_top=True, weights=None, classifier_activation=None).save_weights(path)
    return path


@pytest.fixture(scope="module")
def vgg(vgg_weights):
    from dreaming.model import load_model

    return load_model(str(vgg_weights), "float32", "vgg16")


def test_vgg_sees_caffe_input_made_inside_the_model(vgg):
    import keras
    from keras.applications.vgg16 import preprocess_input

    pixels = np.random.default_rng(0).uniform(0, 255, (1, 40, 48, 3)).astype("float32")
    ours = keras.ops.convert_to_numpy(vgg.extractor(("block1_conv2",))(pixels / 127.5 - 1.0)[0])
    bare = keras.Model(vgg.base.input, vgg.base.get_layer("block1_conv2").output)
    theirs = keras.ops.convert_to_numpy(bare(preprocess_input(pixels.copy())))
    assert np.abs(ours - theirs).max() < 1e-3 * (np.abs(theirs).max() + 1)


def test_a_tiny_vgg_dream_runs_end_to_end_and_repeats(vgg):
    from dreaming.engine import dream

    picture = np.random.default_rng(1).integers(0, 256, (50, 70, 3), dtype=np.uint8)
    params = params_from_options({"model": "vgg16", "layers": "conv3_1,conv4_2:0.5", "steps": 2,
                                  "octaves": 2, "size": 80, "seed": 5})
    first, again = dream(picture, params, model=vgg), dream(picture, params, model=vgg)
    assert first.image.shape == (50, 70, 3) and first.image.dtype == np.uint8
    assert first.image.tobytes() == again.image.tobytes()
    assert not np.array_equal(first.image, picture), "the steps changed the picture"
    assert first.params.model == "vgg16" and "model=vgg16" in first.params.describe()


def test_missing_or_wrong_weights_are_one_line_saying_how_to_get_them(tmp_path):
    from dreaming.model import load_model

    with pytest.raises(WeightsError) as caught:
        load_model(str(tmp_path / "nope.weights.h5"), model="vgg16")
    assert "no weights file at" in str(caught.value) and "--weights imagenet" in str(caught.value)
    assert "inception-2015" not in str(caught.value), "the bundled weights are no answer for VGG16"
    with pytest.raises(WeightsError) as caught:
        load_model("inception-2015", model="vgg16")
    assert "--weights imagenet" in str(caught.value) and "\n" not in str(caught.value)
    done = subprocess.run([sys.executable, "-m", "dreaming", str(SAMPLE), "--model", "vgg16", "--weights",
                           str(tmp_path / "nope.weights.h5"), "-o", str(tmp_path / "x.png")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and "no weights file at" in lines[0], done.stderr


def test_a_worker_loads_further_networks_only_when_a_job_asks(vgg_weights, tmp_path):
    from dreaming.jobs import DreamJob
    from dreaming.model import DreamModels
    from dreaming.pool.execute import run_job

    models = DreamModels({"vgg16": str(vgg_weights), "inception_v3": str(tmp_path / "absent.weights.h5")},
                         precision="float32")
    assert models.loaded == ("vgg16",)  # the first at once: a bad main model shows at start-up
    params = params_from_options({"model": "vgg16", "layers": "conv3_1", "steps": 1, "octaves": 1,
                                  "size": 80, "seed": 1})
    picture = np.random.default_rng(2).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    from dreaming.images import encode
    result = run_job(DreamJob("j1", 1, encode(picture, "png"), params), model=models)
    assert result.image.shape == (40, 40, 3)
    with pytest.raises(WeightsError):  # asked for, so loaded now: its weights are missing
        models.get("inception_v3")
    with pytest.raises(BadParam, match="offers vgg16, inception_v3"):
        models.get("resnet")


def test_the_class_objective_raises_the_chosen_logit(inception_top_weights, vgg_weights):
    import keras
    from dreaming.engine import dream
    from dreaming.model import load_model

    assert has_classifier("inception_v3", str(inception_top_weights))
    assert not has_classifier("inception_v3", str(vgg_weights)) and not has_classifier("vgg16", "imagenet")
    model = load_model(str(inception_top_weights), "float32")
    picture = np.random.default_rng(3).integers(0, 256, (96, 96, 3), dtype=np.uint8)
    params = params_from_options({"class": "banana", "steps": 4, "octaves": 1, "size": 96, "jitter": 0,
                                  "strength": 0.05, "seed": 2})
    result = dream(picture, params, model=model)
    logits = model.extractor((LOGITS,))

    def banana(image: np.ndarray) -> float:
        out = logits(image[None].astype("float32") / 127.5 - 1.0)
        out = out[0] if isinstance(out, (list, tuple)) else out  # Keras unwraps a single output
        return float(keras.ops.convert_to_numpy(out)[0, 954])

    before, after = banana(picture), banana(result.image)
    assert after > before + abs(before), (before, after)
    assert "class=banana" in result.params.describe()


def test_no_top_means_no_class_objective(vgg):
    from dreaming.model import DreamModel

    no_top = DreamModel(source="inception-2015", base=vgg.base)
    with pytest.raises(NoClassifier) as caught:
        no_top.extractor((LOGITS,))
    assert "--weights imagenet" in str(caught.value) and "\n" not in str(caught.value)
