"""A session with Dreambot as people see it, for the README: `.venv/bin/python scripts/transcript.py [--readme]`.

Runs the real bot (one dream worker on the CPU, the real model) against discordlocal, acts as a
moderator and two members, and prints what each of them saw, as text: a moderator sets the
server's default preset and picks the channels where dreams are made (a select menu); jonas,
whose Discord speaks German, and alice dream a photo at once, so alice waits in line; every
status a dream's message showed, then the result with its buttons. Mentions and timestamps are
shown as Discord renders them. `--readme` writes the transcript into README.md between the
`transcript` markers instead of printing it.
"""
from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.dreambot import BotStarter, World, bot_config, photo  # noqa: E402
from bot.app import make_pool  # noqa: E402
from discordlocal import FakeDiscord, StoredMessage  # noqa: E402
from tests.botkit.moderators import Staff  # noqa: E402

README = REPO / "README.md"
START, END = "<!-- transcript:start -->", "<!-- transcript:end -->"
#: a small, quick dream: the transcript is about the conversation, not the picture
DREAM = {"size": 160, "octaves": 1, "steps": 3, "seed": 2015}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="write it into README.md")
    lines = asyncio.run(session())
    text = "\n".join(["```text", *lines, "```"])
    if parser.parse_args().readme:
        readme = README.read_text()
        head, rest = readme.split(START, 1)
        README.write_text(f"{head}{START}\n{text}\n{END}{rest.split(END, 1)[1]}")
    else:
        print(text)
    return 0


async def session() -> list[str]:
    async with FakeDiscord() as fake:
        world = World.create(fake)
        art = fake.add_channel(world.guild_id, "art")
        staff = Staff.create(world)
        jonas = fake.add_user("jonas", guilds=[world.guild_id], locale="de").id
        pool = make_pool(bot_config())
        await pool.start()
        starter = BotStarter(fake)
        try:
            await starter(pool)
            out = Transcript(fake)
            await moderate(world, out, staff.admin, art.id)
            await dream_two(world, out, pool, {"jonas": jonas, "alice": world.alice}, art.id)
            return out.lines
        finally:
            await starter.stop_all()
            await pool.close(grace=0)


async def moderate(world: World, out: Transcript, admin: int, art: int) -> None:
    fake, guild, general = world.fake, world.guild_id, world.channel_id
    rec = await fake.invoke_slash(guild, general, admin, "dreamconfig set",
                                  options={"key": "default_preset", "value": "textures"})
    out.said(general, admin, "/dreamconfig set key:default_preset value:textures")
    out.bot(await response(fake, rec))
    rec = await fake.invoke_slash(guild, general, admin, "dreamconfig pick", options={"setting": "allowed_channels"})
    out.said(general, admin, "/dreamconfig pick setting:allowed_channels")
    menu = await response(fake, rec)
    out.bot(menu)
    picked = await fake.choose(menu.id, menu.components[0]["components"][0]["custom_id"], admin, [art, general])
    await fake.wait_for_interaction_response(picked.id)
    out.note(f"{out.name(admin)} picks #art and #general in the menu; the answer changes to:")
    out.bot(fake.state.messages[menu.id])


async def dream_two(world: World, out: Transcript, pool, people: dict[str, int], channel: int) -> None:
    """The second asks while the first dreams: one worker, so the second waits in line."""
    fake, image = world.fake, photo("docs:sample-cat.jpg", 480)
    slash = {"jonas": "/traum bild:cat.jpg größe:160 oktaven:1 schritte:3 seed:2015",
             "alice": "/dream image:cat.jpg size:160 octaves:1 steps:3 seed:2015"}
    records = {}
    for who, user in people.items():
        records[who] = await fake.invoke_slash(world.guild_id, channel, user, "dream", options=DREAM,
                                               attachments={"image": image})
        await fake.wait_until(lambda: pool.stats().busy, timeout=120, what="a worker dreaming it")
    for who, rec in records.items():
        result = await world.interaction_result(rec, timeout=600)
        out.said(channel, people[who], slash[who] + ("   (Discord in German)" if who == "jonas" else ""))
        out.bot(result, history=True, reader=people[who])


async def response(fake: FakeDiscord, rec) -> StoredMessage:
    await fake.wait_for_interaction_response(rec.id)
    return fake.state.messages[rec.original_message_id]


class Transcript:
    """What people saw, line by line, with Discord's markup rendered as its client shows it."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake, self.lines = fake, []

    def name(self, user_id: int) -> str:
        return self.fake.state.users[user_id].username

    def said(self, channel: int, user: int, text: str) -> None:
        self.lines += ["", f"#{self.fake.state.channels[channel].name}  {self.name(user)}: {text}"]

    def note(self, text: str) -> None:
        self.lines.append(f"    ({text})")

    def bot(self, message: StoredMessage, *, history: bool = False, reader: int | None = None) -> None:
        """The bot's message: every text it showed (with `history`), then its file and components."""
        now = (time.monotonic(), time.time())
        edits = message.edit_log if history else [(now[0], message.content)]
        # each text with the wall-clock time it was shown, so "done in 40 seconds" reads as it did then
        shown = [(now[1] - (now[0] - at), text) for i, (at, text) in enumerate(edits)
                 if text and (i == 0 or text != edits[i - 1][1])]
        private = "  (only you can see this)" if message.ephemeral else ""
        german = reader is not None and self.fake.state.users[reader].locale == "de"
        for i, (at, text) in enumerate(shown):
            arrow = "Dreambot:" if i == 0 else "  then:"
            lines = self.render(text, at, german).split("\n")
            self.lines.append(f"    {arrow} {lines[0]}{private if i == len(shown) - 1 else ''}")
            self.lines += [f"              {line}" for line in lines[1:]]
        for f in message.files:
            self.lines.append(f"              📎 {f.filename} ({f.width}×{f.height})")
        controls = [self.control(c) for row in message.components for c in row.get("components", [])]
        if controls:
            self.lines.append("              " + " ".join(controls))

    def control(self, component: dict) -> str:
        if component["type"] == 2:
            return f"[{component['label']}]"
        chosen = ", ".join(self.render(f"<#{v['id']}>" if v["type"] == "channel" else f"<@&{v['id']}>")
                           for v in component.get("default_values", []))
        return f"[▾ {chosen or component.get('placeholder', '')}]"

    def render(self, text: str, at: float | None = None, german: bool = False) -> str:
        """Mentions as names; a timestamp as the reader's Discord shows it then, in their language."""
        state = self.fake.state
        text = re.sub(r"<#(\d+)>", lambda m: "#" + state.channels[int(m[1])].name, text)
        text = re.sub(r"<@&(\d+)>", lambda m: "@" + _role_name(state, int(m[1])), text)
        text = re.sub(r"<@!?(\d+)>", lambda m: "@" + self.name(int(m[1])), text)
        text = re.sub(r"^-# ", "", text, flags=re.M)  # small print
        return re.sub(r"<t:(\d+):R>", lambda m: _relative(int(m[1]) - (at or time.time()), german), text)


def _role_name(state, role_id: int) -> str:
    return next(g.roles[role_id].name for g in state.guilds.values() if role_id in g.roles)


def _relative(seconds: float, german: bool) -> str:
    if seconds < 1:
        return "gleich" if german else "in a moment"
    return f"in {round(seconds)} Sekunden" if german else f"in {round(seconds)} seconds"


if __name__ == "__main__":
    raise SystemExit(main())
