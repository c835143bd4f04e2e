"""The engine's step on TensorFlow: a `tf.GradientTape` inside one shape-free `tf.function`."""
from __future__ import annotations

import tensorflow as tf

from dreaming.plan import tile_spans

_IMAGE = tf.TensorSpec([None, None, 3], tf.float32)
_SPANS = tf.TensorSpec([None, 2], tf.int32)
_KERNEL = tf.TensorSpec([None], tf.float32)


def compile_step(network, objective, body):
    """`step(img, shift, kernels, step_size, tile) -> (img, loss)`, traced once for all sizes.

    `body(img, shift, kernels, step_size, tiled_gradient)` is the engine's step; this adds
    the gradient and the tile walk. `step.traces()` counts the traces (the tests want 1).
    """
    def gradient(tile):
        with tf.GradientTape() as tape:
            tape.watch(tile)
            outputs = network(tile[None], training=False)
            loss = objective(outputs if isinstance(outputs, (list, tuple)) else [outputs])
        return tf.cast(tape.gradient(loss, tile), tf.float32), loss

    @tf.function(input_signature=[_IMAGE, tf.TensorSpec([2], tf.int32), _SPANS, _SPANS,
                                  _KERNEL, _KERNEL, _KERNEL, tf.TensorSpec([], tf.float32)])
    def compiled(img, shift, rows, cols, k1, k2, k3, step_size):
        return body(img, shift, (k1, k2, k3), step_size,
                    lambda rolled: tiled_gradient(gradient, rolled, rows, cols))

    def step(img, shift, kernels, step_size, tile):
        rows, cols = (tf.constant(tile_spans(side, tile), tf.int32) for side in img.shape[:2])
        return compiled(img, tf.constant(shift, tf.int32), rows, cols, *kernels,
                        tf.constant(step_size, tf.float32))

    step.traces = compiled.experimental_get_tracing_count
    return step


def tiled_gradient(gradient, img, rows, cols):
    """The gradient over `img`, tile by tile (`rows` x `cols` spans), as a graph loop.

    Each tile's gradient is padded back to its place and added, so only one tile's
    activations live at a time; the loss is the tiles' losses weighted by area.
    """
    height, width = tf.shape(img)[0], tf.shape(img)[1]
    area = tf.cast(height * width, tf.float32)
    grad, loss = tf.zeros_like(img), tf.constant(0.0)
    for i in tf.range(tf.shape(rows)[0]):
        for j in tf.range(tf.shape(cols)[0]):
            y0, y1, x0, x1 = rows[i, 0], rows[i, 1], cols[j, 0], cols[j, 1]
            g, tile_loss = gradient(img[y0:y1, x0:x1])
            grad += tf.pad(g, [[y0, height - y1], [x0, width - x1], [0, 0]])
            loss += tile_loss * tf.cast((y1 - y0) * (x1 - x0), tf.float32) / area
    return grad, loss


def devices() -> list[str]:
    """The devices TensorFlow computes on, e.g. ['CPU:0'] or ['CPU:0', 'GPU:0']."""
    return [d.name.removeprefix("/physical_device:") for d in tf.config.list_physical_devices()]
