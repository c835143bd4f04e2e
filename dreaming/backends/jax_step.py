"""The engine's step on JAX: `jax.value_and_grad` inside `jax.jit`, compiled per image shape."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from dreaming.plan import tile_spans


def compile_step(network, objective, body):
    """`step(img, shift, kernels, step_size, tile) -> (img, loss)`, compiled once per shape.

    `body(img, shift, kernels, step_size, tiled_gradient)` is the engine's step; this adds
    the gradient and the tile walk. The network's weights go in as arguments (its
    `stateless_call`), not as constants baked into every compiled shape.
    `step.traces()` counts the shapes compiled so far.
    """
    variables = ([v.value for v in network.trainable_variables],
                 [v.value for v in network.non_trainable_variables])

    def loss_of(tile, trainable, non_trainable):
        outputs, _ = network.stateless_call(trainable, non_trainable, tile[None], training=False)
        return objective(outputs if isinstance(outputs, (list, tuple)) else [outputs])

    value_and_grad = jax.value_and_grad(loss_of)

    def compiled(img, shift, kernels, step_size, variables, tile):
        def tiled_gradient(rolled):
            # Shapes are static under jit: the spans are numbers and the loop unrolls.
            height, width = rolled.shape[:2]
            grad, loss = jnp.zeros_like(rolled), jnp.float32(0.0)
            for y0, y1 in tile_spans(height, tile):
                for x0, x1 in tile_spans(width, tile):
                    tile_loss, g = value_and_grad(rolled[y0:y1, x0:x1], *variables)
                    grad = grad.at[y0:y1, x0:x1].add(g.astype(jnp.float32))
                    loss += tile_loss * ((y1 - y0) * (x1 - x0) / (height * width))
            return grad, loss
        return body(img, shift, kernels, step_size, tiled_gradient)

    jitted = jax.jit(compiled, static_argnames="tile")

    def step(img, shift, kernels, step_size, tile):
        return jitted(img, jnp.asarray(shift, jnp.int32), tuple(kernels), jnp.float32(step_size),
                      variables, tile=tile)

    def flops(shape, kernels, tile):
        """XLA's count of the floating-point operations of one step on a `shape` image."""
        img = jax.ShapeDtypeStruct((*shape, 3), jnp.float32)
        lowered = jitted.lower(img, jnp.zeros(2, jnp.int32), tuple(kernels), jnp.float32(0.01),
                               variables, tile=tile)
        cost = lowered.compile().cost_analysis()
        return float((cost[0] if isinstance(cost, (list, tuple)) else cost).get("flops", 0.0))

    step.traces = jitted._cache_size  # JAX's count of compiled shapes (no public name for it)
    step.flops = flops
    return step


def devices() -> list[str]:
    """The devices JAX computes on, e.g. ['cpu:0'] or ['gpu:0', 'gpu:1']."""
    return [f"{d.platform}:{d.id}" for d in jax.devices()]
