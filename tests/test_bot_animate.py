"""Zoom animations and dreams from noise in the bot: `!dream zoom`, `/dream-animate`,
`!dream noise`, end to end with the real discord.py client, the real pool and model, and
discordlocal; and the words, defaults and lines of `bot/dream/animation.py` on their own.

The dreams are tiny (96 px, one octave, a step or two per frame) so each takes seconds.
"""
from __future__ import annotations

import io

import pytest
from PIL import Image

from bench.dreambot import bot_config, settings_of
from bot.config import Config
from bot.dream import messages
from bot.dream.animation import ANIMATION_SIDE, NOISE_SIDE, ZOOM_FRAMES, DreamForm, sized, split_form
from bot.dream.options import parse_dream_args
from bot.i18n import use
from bot.moderation.guild_settings import GuildSettings, effective_caps
from dreaming import cost, images
from dreaming.errors import BadParam
from dreaming.jobs import Progress
from dreaming.layers import LayerTerm
from dreaming.params import DreamParams
from dreaming.presets import load_presets
from dreaming.resolve import resolve_request
from tests.botkit.files import cat, cat_jpeg, image_of

pytestmark = pytest.mark.timeout(240)
module_loop = pytest.mark.asyncio(loop_scope="module")

#: one octave, one step a frame, an early layer: the cheapest animation that is still a dream
TINY = "size=96 octaves=1 steps=1 frame_octaves=1 frame_steps=1 layer=mixed2 seed=5"


def played(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# -- end to end ------------------------------------------------------------------------------

@pytest.mark.slow
@module_loop
async def test_prefix_zoom_returns_an_animated_webp_with_the_frames_asked(world, start_bot, pool):
    await start_bot(pool)
    command = await world.say(world.alice, f"!dream zoom frames=3 {TINY}", cat())

    result = await world.result_of(command)

    posted = result.files[0]
    assert posted.filename.endswith(".webp") and posted.content_type == "image/webp"
    movie = played(posted.data)
    assert movie.format == "WEBP" and movie.is_animated and movie.n_frames == 3
    assert max(movie.size) == 96
    assert (settings_of(result)["frames"], settings_of(result)["zoom"]) == ("3", "1.05")
    assert "Lowered" not in result.content, "a small animation fits as it was dreamt"


@pytest.mark.slow
@module_loop
async def test_slash_animate_as_a_gif(world, start_bot, pool):
    await start_bot(pool)
    rec = await world.slash(world.bob, "dream-animate", image=cat(), frames=2, zoom=1.2, layer="mixed2",
                            size=96, seed=3, format="gif")

    result = await world.interaction_result(rec)

    assert result.files[0].filename.endswith(".gif")
    movie = played(result.files[0].data)
    assert movie.format == "GIF" and movie.n_frames == 2
    assert (settings_of(result)["frames"], settings_of(result)["zoom"]) == ("2", "1.2")


@pytest.mark.slow
@module_loop
async def test_an_animation_over_the_upload_limit_is_lowered_and_the_reply_says_what(world, start_bot, pool):
    await start_bot(pool)
    ask = dict(image=cat(), frames=3, layer="mixed2", size=96, seed=11)
    full = await world.interaction_result(await world.slash(world.alice, "dream-animate", **ask))
    size = len(full.files[0].data)
    # The same dream (same seed), in a server whose upload limit it no longer fits.
    world.fake.state.guilds[world.guild_id].filesize_limit = int(size * 0.75)

    result = await world.interaction_result(await world.slash(world.alice, "dream-animate", **ask))

    assert len(result.files[0].data) <= size * 0.75
    [line] = [line for line in result.content.splitlines() if line.startswith("Lowered")]
    assert line.startswith("Lowered to fit this server's upload limit: quality 80→")


@pytest.mark.slow
@module_loop
async def test_frames_over_the_operators_cap_are_clamped_and_the_reply_says_so(world, start_bot, pool):
    await start_bot(pool, bot_config(limits={"max_frames": 2}))
    command = await world.say(world.alice, f"!dream zoom frames=5 {TINY}", cat())

    result = await world.result_of(command)

    assert played(result.files[0].data).n_frames == 2
    assert settings_of(result)["frames"] == "2" and "frames 5→2" in result.content


@pytest.mark.slow
@module_loop
async def test_an_animation_over_the_work_bound_keeps_the_frames_that_fit(world, start_bot, pool):
    decoded = images.decode(cat_jpeg(), max_side=96)
    params = DreamParams(layers=(LayerTerm("mixed2"),), octaves=1, steps=1, frame_octaves=1, frame_steps=1,
                         max_side=96, frames=5)
    first, later = cost.frame_work((decoded.height, decoded.width), params)[:2]
    await start_bot(pool, bot_config(limits={"max_work": first + 2.5 * later}))  # room for three frames
    command = await world.say(world.alice, f"!dream zoom frames=5 {TINY}", cat())

    result = await world.result_of(command)

    assert played(result.files[0].data).n_frames == 3 and "frames 5→3" in result.content


@pytest.mark.slow
@module_loop
async def test_a_dream_from_noise_needs_no_image(world, start_bot, pool):
    await start_bot(pool)
    command = await world.say(world.alice, "!dream noise preset=neuron size=96 octaves=1 steps=2 seed=9")

    result = await world.result_of(command)

    picture = image_of(result.files[0].data)
    assert picture.format == "PNG" and picture.size == (96, 96)
    assert settings_of(result)["preset"] == "neuron" and world.downloads() == []
    assert settings_of(result)["noise"] == "on"  # the line, pasted back, dreams from noise again

    # Reroll needs no original image: a new seed, a new noise start, the same settings.
    reroll = await world.interaction_result(await world.press(result, "reroll", world.alice))
    assert settings_of(reroll)["noise"] == "on" and settings_of(reroll)["seed"] != "9"
    assert image_of(reroll.files[0].data).size == (96, 96) and world.downloads() == []

    # Compare has no "before" to show for a dream from noise, and says so, only to whoever pressed.
    rec = await world.press(result, "compare", world.bob)
    said = await world.fake.wait_for_message(world.channel_id, timeout=60,
                                             predicate=lambda m: m.interaction_id == rec.id and "noise" in m.content)
    assert said.ephemeral and not said.files and "no before to compare" in said.content


@pytest.mark.parametrize("words, says", [
    ("zoom format=avi", "Bad value for format: 'avi' (use webp, gif, mp4)."),
    ("zoom=lots", "Bad value for zoom"),
    ("noise=maybe", "Bad value for noise"),
    ("zoom framez=3", "Unknown option 'framez'. Did you mean 'frames'?"),
])
@module_loop
async def test_bad_animation_words_get_one_line(world, start_bot, idle_pool, words, says):
    await start_bot(idle_pool)
    command = await world.say(world.alice, f"!dream {words}", cat())

    reply = await world.reply_to(command)

    assert says in reply.content and "\n" not in reply.content.strip()
    assert not reply.files and idle_pool.stats().queued == 0


@module_loop
async def test_slash_animate_refuses_a_bad_layer_only_to_the_member(world, start_bot, idle_pool):
    await start_bot(idle_pool)
    rec = await world.slash(world.alice, "dream-animate", image=cat(), layer="mixed99")

    note = await world.response_to(rec, lambda m: "Unknown layer" in m.content)

    assert note.ephemeral and idle_pool.stats().queued == 0


# -- the words and defaults, no Discord ------------------------------------------------------

def test_zoom_words_make_an_animation_and_noise_and_format_are_the_bots_own():
    options, form = split_form(parse_dream_args("zoom Format=MP4 steps=3"))
    assert options == {"frames": ZOOM_FRAMES, "steps": "3"} and form == DreamForm(noise=False, fmt="mp4")
    options, form = split_form(parse_dream_args("zoom=1.1"))  # any animation word asks for one
    assert options == {"zoom": "1.1", "frames": ZOOM_FRAMES} and form == DreamForm()
    options, form = split_form(parse_dream_args("noise frames=4"))
    assert options == {"frames": "4"} and form.noise
    assert split_form({"steps": 3}) == ({"steps": 3}, DreamForm())  # a still stays a still
    with pytest.raises(BadParam):
        split_form({"format": "png"})


def test_animations_and_noise_default_smaller_unless_a_size_is_asked():
    still = DreamParams()
    assert sized(still, {}, DreamForm()).max_side == 1024
    assert sized(still.replace(frames=5), {}, DreamForm()).max_side == ANIMATION_SIDE
    assert sized(still, {}, DreamForm(noise=True)).max_side == NOISE_SIDE
    assert sized(still.replace(frames=5, max_side=700), {"size": 700}, DreamForm()).max_side == 700
    assert sized(still.replace(max_side=200), {}, DreamForm(noise=True)).max_side == 200  # a lower cap wins


def test_a_stored_job_keeps_its_form():
    form = DreamForm(noise=True, fmt="gif")
    assert DreamForm.of_stored({"steps": 3, **form.stored()}) == form
    assert DreamForm.of_stored({"steps": 3}) == DreamForm()  # stored before animations existed


def test_an_animations_timeout_grows_with_its_frames():
    params = DreamParams(max_side=256, frames=10)
    fields = DreamForm().job_fields((256, 256), params, 1000)
    first, *later = cost.frame_work((256, 256), params)
    assert fields["timeout_scale"] == pytest.approx(1 + sum(later) / first) and fields["timeout_scale"] > 2
    assert fields["noise"] is None and fields["upload_limit"] == 1000


@pytest.mark.parametrize("language, text", [("en", "frame 2/3 · 40%"), ("de", "Bild 2/3 · 40 %")])
def test_the_status_line_counts_frames_of_an_animation(language, text):
    use(language)
    try:
        step = dict(octave=1, octaves=1, step=1, steps=1, done=0.4, eta_s=None, loss=1.0)
        assert text in messages.progress(Progress(**step, frame=2, frames=3))
        assert "1/1" in messages.progress(Progress(**step))  # a still counts octaves
    finally:
        use("en")


def test_a_servers_frame_cap_narrows_the_operators():
    caps = effective_caps(Config().caps, GuildSettings(max_frames=6))
    params, clamps = resolve_request({"frames": 30}, load_presets(), caps)
    assert params.frames == 6 and [(c.name, c.asked, c.used) for c in clamps] == [("frames", 30, 6)]
    assert effective_caps(Config().caps, GuildSettings())["frames"] == Config().limits.max_frames


@module_loop
async def test_slash_animate_suggests_the_noise_presets(world, start_bot, idle_pool):
    await start_bot(idle_pool)

    choices = await world.fake.autocomplete(world.guild_id, world.channel_id, world.alice, "dream-animate",
                                            options={"preset": "ne"}, focused="preset")

    assert "neuron" in [c["value"] for c in choices]
