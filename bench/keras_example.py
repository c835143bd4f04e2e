"""The baseline: keras-io `examples/generative/deep_dream.py`'s loop, as published.

Kept close to the original on purpose (a module-level-style `tf.function` per step that
retraces for every new octave size, no tiling, no jitter); only the model is passed in and
the early stop (`max_loss`) is off, so that both sides do identical work: 3 octaves x 20 steps.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

LAYER_SETTINGS = {"mixed4": 1.0, "mixed5": 1.5, "mixed6": 2.0, "mixed7": 2.5}
STEP, NUM_OCTAVE, OCTAVE_SCALE, ITERATIONS = 0.01, 3, 1.4, 20


_CACHE: dict = {}


def keras_example_dream(image: np.ndarray, base_model, reuse: bool = False) -> np.ndarray:
    """Dream `image` as the example does. `reuse=True` keeps the compiled step of the last
    call (the example's module-level function), so an image of a seen size needs no retrace."""
    if reuse and "step" in _CACHE:
        return _run(image, _CACHE["step"])
    _CACHE["step"] = _make_step(base_model)
    return _run(image, _CACHE["step"])


def _make_step(base_model):
    import keras
    outputs = {name: base_model.get_layer(name).output for name in LAYER_SETTINGS}
    feature_extractor = keras.Model(inputs=base_model.inputs, outputs=outputs)

    def compute_loss(input_image):
        features = feature_extractor(input_image)
        loss = tf.zeros(shape=())
        for name in features.keys():
            coeff = LAYER_SETTINGS[name]
            activation = features[name]
            scaling = tf.reduce_prod(tf.cast(tf.shape(activation), "float32"))
            loss += coeff * tf.reduce_sum(tf.square(activation[:, 2:-2, 2:-2, :])) / scaling
        return loss

    @tf.function
    def gradient_ascent_step(img, learning_rate):
        with tf.GradientTape() as tape:
            tape.watch(img)
            loss = compute_loss(img)
        grads = tape.gradient(loss, img)
        grads /= tf.maximum(tf.reduce_mean(tf.abs(grads)), 1e-6)
        img += learning_rate * grads
        return loss, img

    return gradient_ascent_step


def _run(image: np.ndarray, gradient_ascent_step) -> np.ndarray:
    def gradient_ascent_loop(img, iterations, learning_rate):
        for _ in range(iterations):
            _loss, img = gradient_ascent_step(img, learning_rate)
        return img

    original_img = tf.constant(image[None].astype(np.float32) / 127.5 - 1.0)
    original_shape = original_img.shape[1:3]
    successive_shapes = [original_shape]
    for i in range(1, NUM_OCTAVE):
        successive_shapes.append(tuple(int(dim / (OCTAVE_SCALE**i)) for dim in original_shape))
    successive_shapes = successive_shapes[::-1]
    shrunk_original_img = tf.image.resize(original_img, successive_shapes[0])

    img = tf.identity(original_img)
    for shape in successive_shapes:
        img = tf.image.resize(img, shape)
        img = gradient_ascent_loop(img, iterations=ITERATIONS, learning_rate=STEP)
        upscaled_shrunk_original_img = tf.image.resize(shrunk_original_img, shape)
        same_size_original = tf.image.resize(original_img, shape)
        img += same_size_original - upscaled_shrunk_original_img
        shrunk_original_img = tf.image.resize(original_img, shape)
    return np.clip((img[0].numpy() + 1) * 127.5, 0, 255).astype(np.uint8)
