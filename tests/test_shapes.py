"""Extreme image shapes, tried as a hostile member would, through every front end.

Strips one pixel thick both ways, the issue's 6000x4 PNG, 2x6000, tiny images and a 1x1:
each is answered at once (a result of its own fitted shape, or one line that says what to
do), within the work of a `max_side` square, with no traceback and no hang. The engine API
and the CLI run the real model; the bot is the real discord.py client on discordlocal.
"""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.dreambot import bot_config, settings_of
from dreaming.cost import bound, estimate, step_units
from dreaming.layers import parse_layer_spec
from dreaming.params import DreamParams
from dreaming.plan import plan_dream
from tests.botkit.files import coffee, image_of

REPO = Path(__file__).resolve().parent.parent
#: name -> (height, width)
EXTREME = {"row-1x900": (1, 900), "column-900x1": (900, 1), "strip-2x6000": (2, 6000),
           "strip-6000x4": (4, 6000), "one-pixel": (1, 1), "tiny-3x5": (3, 5)}
SMALL = DreamParams(max_side=128, octaves=2, steps=1, seed=3)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def picture(size: tuple[int, int]) -> np.ndarray:
    """A colourful gradient of `size` (height, width), uint8 RGB."""
    y, x = np.mgrid[0:size[0], 0:size[1]]
    return np.stack([(x * 7) % 256, (y * 5) % 256, ((x + y) * 3) % 256], axis=-1).astype(np.uint8)


def png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.fromarray(picture(size)).save(out, "PNG")
    return out.getvalue()


def within_square(size: tuple[int, int], params: DreamParams) -> bool:
    return estimate(size, params).units <= estimate((params.max_side, params.max_side), params).units


@pytest.mark.parametrize("name", EXTREME)
def test_the_engine_dreams_every_shape_in_its_own_fitted_size(model, name):
    from dreaming.engine import dream

    size = EXTREME[name]
    plan = plan_dream(size, SMALL)
    result = dream(picture(size), SMALL, model=model)

    assert result.image.shape == (*plan.out_size, 3) and result.image.dtype == np.uint8
    assert len(result.losses) == SMALL.steps * plan.octaves and np.isfinite(result.losses).all()
    assert within_square(size, SMALL) and plan.padded


@pytest.mark.parametrize("size", [(4, 6000), (300, 451)])
def test_progress_counts_each_step_by_the_work_the_estimate_gave_it(model, size):
    from dreaming.engine import dream

    params = DreamParams(max_side=256, octaves=3, steps=2, seed=1)
    seen = []
    dream(picture(size), params, model=model, progress=seen.append)

    work = estimate(size, params)
    first = step_units(work.plan.shapes[0], params)
    assert seen[0].done == pytest.approx(first / work.units)  # the ETA from the first step follows the plan
    assert seen[-1].done == pytest.approx(1.0) and len(seen) == params.steps * work.plan.octaves


def test_the_cli_dreams_every_shape_and_says_which_were_padded(tmp_path):
    inputs, outputs = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    for name, size in EXTREME.items():
        (inputs / f"{name}.png").write_bytes(png(size))

    done = subprocess.run([sys.executable, "-m", "dreaming", str(inputs), "-o", str(outputs), "-q",
                           "--max-side", "128", "--octaves", "2", "--steps", "1", "--seed", "3"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    for name, size in EXTREME.items():
        plan = plan_dream(size, SMALL)
        written = Image.open(outputs / f"{name}.dream.png")
        assert written.size == plan.out_size[::-1]
        assert f"{name}.png: {plan.note}" in done.stderr


@pytest.mark.asyncio(loop_scope="module")
async def test_the_bot_answers_every_shape_with_its_dream_and_why_it_was_padded(world, start_bot, pool):
    await start_bot(pool)
    for name, size in EXTREME.items():
        command = await world.say(world.alice, "!dream size=128 octaves=2 steps=1", (f"{name}.png", png(size), "image/png"))
        result = await world.result_of(command)

        plan = plan_dream(size, SMALL)
        assert image_of(result.files[0].data).size == plan.out_size[::-1], name
        assert plan.note in result.content
        assert "⚠️" not in result.content


@pytest.mark.asyncio(loop_scope="module")
async def test_the_bot_dreams_smaller_what_is_over_the_operators_max_work(world, start_bot, pool):
    config = bot_config(limits={"max_work": 0.3})
    await start_bot(pool, config)
    command = await world.say(world.bob, "!dream size=512 octaves=1 steps=3", coffee())
    result = await world.result_of(command)

    width, height = image_of(result.files[0].data).size
    asked = DreamParams(max_side=512, octaves=1, steps=3)
    assert estimate((400, 600), asked).units > 0.3, "the request must be over the limit to prove anything"
    assert "Limited by this bot's settings: size 512→" in result.content
    shown = int(result.content.split("size 512→")[1].split(".")[0].split(",")[0])
    assert max(width, height) == shown < 512
    ran = asked.replace(max_side=shown, layers=parse_layer_spec(settings_of(result)["layers"]))
    assert estimate((400, 600), ran).units <= bound(config.caps, config.floors, 0.3)


@pytest.mark.asyncio(loop_scope="module")
async def test_the_bot_refuses_at_once_a_dream_too_big_at_any_size(world, start_bot, pool):
    await start_bot(pool, bot_config(limits={"max_work": 0.01}))
    command = await world.say(world.bob, "!dream steps=40", coffee())
    reply = await world.reply_to(command)

    assert "That dream is too much work for this bot" in reply.content and "Use fewer steps" in reply.content
    assert not reply.files and "\n" not in reply.content
    assert pool.stats().queued == 0
