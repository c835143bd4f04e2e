"""The Keras networks behind `dreaming.networks`' descriptions: each one's builder, InceptionV3's
classifier head taken from a model with its top, and the input conversion a network needs
(VGG16's Caffe-style input) placed in front of an extractor, so the engine stays in [-1, 1].
"""
from __future__ import annotations

import keras
import numpy as np

from dreaming.networks import Network

#: VGG16's training input: BGR channel means (0..255) that Caffe subtracted
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

#: the Keras application of each network in `dreaming.networks`
BUILDERS = {"inception_v3": keras.applications.InceptionV3, "vgg16": keras.applications.VGG16}


def inception_with_top(resolved) -> tuple[keras.Model, tuple[np.ndarray, np.ndarray]]:
    """InceptionV3 without its top (any input size) carrying the weights of one with it, and
    the top's dense kernel and bias. Keras fixes the top model's input at 299 px (its
    flatten-free head would work at any size), so the weights load there and move over
    layer by layer: the no-top network's layers are the first of the top one's, in order."""
    full = keras.applications.InceptionV3(include_top=True, classifier_activation=None,
                                          weights="imagenet" if resolved == "imagenet" else None)
    if resolved != "imagenet":
        full.load_weights(resolved)
    base = keras.applications.InceptionV3(include_top=False, weights=None)
    for mine, theirs in zip(base.layers, full.layers):
        if mine.weights:
            mine.set_weights(theirs.get_weights())
    kernel, bias = full.get_layer("predictions").get_weights()
    return base, (kernel, bias)


def with_input(extractor: keras.Model, net: Network) -> keras.Model:
    """`extractor` taking the engine's [-1, 1] pixels, converted to what `net` expects."""
    if net.preprocessing == "tf":  # InceptionV3 was trained on [-1, 1]
        return extractor
    inputs = keras.Input((None, None, 3))
    return keras.Model(inputs, extractor(keras.layers.Lambda(caffe_input, name="caffe_input")(inputs)))


def caffe_input(x):
    """[-1, 1] RGB to Caffe's input: 0..255 BGR minus the ImageNet mean (VGG16's training input)."""
    pixels = (x + 1.0) * 127.5
    return keras.ops.flip(pixels, axis=-1) - keras.ops.convert_to_tensor(CAFFE_MEAN_BGR, "float32")
