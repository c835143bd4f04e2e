"""Hostile and malformed requests through the fake Discord, the real client and the real pool.

The corpus (tests/resilience/corpus.py) is generated here from real photos: truncated and
bit-flipped files, a zip bomb, forged dimensions, wrong types, oversized uploads, huge,
unicode and injection-like options. Each gets one clear line (or, for odd but valid input,
a dream), never a traceback or a mass mention, and the bot dreams a real photo afterwards.
"""
from __future__ import annotations

import pytest

from bench.dreambot import bot_config
from tests.botkit.files import cat
from tests.resilience.cdn import HostileCDN, lie_about
from tests.resilience.corpus import DREAMS, LIMIT_MB, TINY, Case, corpus
from tests.resilience.mentions import MentionLog

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300), pytest.mark.slow]

CASES = {case.name: case for case in corpus()}
#: Bugs in bot/ these cases find; the tests are strict xfails until they are fixed.
#: cases that show a bug not fixed yet, as strict xfails (none at present)
KNOWN_BUGS: dict[str, str] = {}


def config():
    return bot_config(limits={"max_attachment_mb": LIMIT_MB})


def answered_well(case: Case, reply) -> str | None:
    """Why `reply` is not a good answer to `case`, or None if it is."""
    if case.expect == DREAMS:
        return None if reply.files else f"expected a dream, got {reply.content!r}"
    text = reply.content
    if "\n" in text.strip() or "Traceback" in text or "File \"" in text:
        return f"not one clean line: {text!r}"
    if not text.startswith("⚠️") or case.expect not in text or reply.files:
        return f"expected a warning saying {case.expect!r}, got {text!r}"
    return None


async def final_answer(world, command, case: Case):
    """The bot's last word on `command`: a result for DREAMS, else its warning (a new reply,
    or the status message edited into one)."""
    def done(m) -> bool:
        return bool(m.files) or m.content.startswith("⚠️")
    return await world.fake.wait_until(
        lambda: next((m for m in world.fake.messages_in(world.channel_id)
                      if m.reference_id == command.id and done(m)), None),
        timeout=90, what=f"an answer to {case.name}")


def params():
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
            if name in KNOWN_BUGS else name for name in CASES]


@pytest.mark.asyncio(loop_scope="module")
async def test_the_corpus_is_big_enough():
    assert len(CASES) >= 30 and len(set(CASES)) == len(corpus())


@pytest.mark.parametrize("name", params())
async def test_each_hostile_input_gets_one_clear_answer(name, world, start_bot, pool, monkeypatch):
    case = CASES[name]
    mentions = MentionLog(world.fake, monkeypatch)
    await start_bot(pool, config())
    failed_before = pool.stats().outcomes.get("refused", 0)

    command = await world.say(world.alice, case.text, *([case.file] if case.file else []))
    reply = await final_answer(world, command, case)

    assert answered_well(case, reply) is None, answered_well(case, reply)
    assert pool.stats().outcomes.get("refused", 0) == failed_before, "bad input is refused before a worker"
    assert not mentions.could_mass_ping(), mentions.could_mass_ping()
    assert not mentions.could_ping_named_users(), mentions.could_ping_named_users()
    if case.name == "over-the-size-limit":
        assert world.downloads() == [], "the size Discord reports is enough to refuse it"


@pytest.mark.parametrize("content_length", [True, False], ids=["length-header", "chunked"])
async def test_upload_whose_reported_size_lies_is_cut_off_mid_download(content_length, world, start_bot, pool,
                                                                        monkeypatch):
    """Discord says 1 KiB; the CDN would send 64 MiB. The bot stops at the limit, not the end."""
    total = 64 << 20
    async with HostileCDN() as cdn:
        url = cdn.add("liar.png", total, content_length=content_length)
        lie_about(monkeypatch, "liar.png", url=url, size=1024)
        await start_bot(pool, config())

        command = await world.say(world.alice, f"!dream {TINY}", ("liar.png", b"\x89PNG\r\n\x1a\n", "image/png"))
        reply = await world.reply_to(command, timeout=60)
        await world.fake.wait_until(lambda: cdn.bodies["liar.png"].finished, timeout=30, what="the CDN to stop")

    assert f"over the {LIMIT_MB} MiB limit" in reply.content and "\n" not in reply.content, reply.content
    served = cdn.bodies["liar.png"].served
    assert served < total // 2, f"the CDN served {served} of {total} bytes"


async def test_after_the_whole_corpus_at_once_the_bot_still_dreams(world, start_bot, pool, monkeypatch):
    """Every case from its own user, all at once; then a real photo still dreams."""
    mentions = MentionLog(world.fake, monkeypatch)
    await start_bot(pool, config())
    cases = [c for c in CASES.values() if c.name not in KNOWN_BUGS]
    sent = []
    for i, case in enumerate(cases):
        user = world.fake.add_user(f"hostile{i}", guilds=[world.guild_id]).id
        sent.append((case, await world.say(user, case.text, *([case.file] if case.file else []))))

    problems = {case.name: answered_well(case, await final_answer(world, command, case)) for case, command in sent}

    assert {k: v for k, v in problems.items() if v} == {}
    command = await world.say(world.alice, f"!dream {TINY}", cat())
    assert (await world.result_of(command)).files
    assert not mentions.could_mass_ping(), mentions.could_mass_ping()
    assert len(mentions.sent) >= len(cases), "every answer went through the recorder"
    answers = [m for m in world.fake.messages_in(world.channel_id) if m.author_id == world.fake.bot_user.id
               and (m.files or m.content.startswith("⚠️"))]
    assert len(answers) == len(cases) + 1, "one final answer per request, none twice"
