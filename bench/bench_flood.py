"""Flood benchmark: many members across many servers, big uploads, the queue already full.

    .venv/bin/python bench/bench_flood.py                 # 500 requests, 200 members, 20 servers
    .venv/bin/python bench/bench_flood.py --requests 100 --json out.json

The bot runs as its own process (`python -m bot`, as in production) against discordlocal,
so its memory is measured alone. Its one worker is kept busy and its queue filled by long
dreams first; then every member posts at once, half of them with a 15 MB image. A full
queue must refuse before downloading anything, so the bot's memory stays flat.

Reported: every request answered exactly once (refusals counted), the bytes the bot
downloaded for refused requests (goal: zero), and the bot process's peak resident memory
(goal: under 300 MB), with its resident memory before the flood as the baseline.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dreambot import World, is_status, photo  # noqa: E402
from bench.load import SAMPLE_S, rss_kib  # noqa: E402
from discordlocal import FakeDiscord  # noqa: E402
from discordlocal.client import TOKEN  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
#: keeps the one worker and the queue busy for minutes on any machine this runs on
LONG = "!dream size=1024 octaves=6 steps=40 layer=mixed5"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--servers", type=int, default=20)
    parser.add_argument("--big-mb", type=float, default=15.0, help="size of the big uploads")
    parser.add_argument("--max-queue", type=int, default=4)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    figures = asyncio.run(bench(args))
    for key, value in figures.items():
        print(f"{key:28} {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


async def bench(args: argparse.Namespace) -> dict:
    big = noise_png(args.big_mb)
    small = photo("coffee", 400)
    async with FakeDiscord(token=TOKEN) as fake:
        worlds = [World.create(fake) for _ in range(args.servers)]
        members = [[w.fake.add_user(f"m{s}-{i}", guilds=[w.guild_id]).id
                    for i in range(args.members // args.servers)] for s, w in enumerate(worlds)]
        with tempfile.TemporaryDirectory() as data:
            bot = await start_bot_process(fake, Path(data), args.max_queue)
            try:
                await fill_the_queue(worlds[0], args.max_queue + 1, small)
                baseline = rss_kib(bot.pid)
                peak = Peak(bot.pid)
                peak.start()
                started = time.monotonic()
                sends = [flood_one(worlds[i % args.servers], members[i % args.servers][i // args.servers
                                                                                      % len(members[0])],
                                   big if i % 2 else small) for i in range(args.requests)]
                outcomes = await asyncio.gather(*sends)
                wall = time.monotonic() - started
                await peak.stop()
            finally:
                bot.send_signal(signal.SIGTERM)
                await asyncio.wait_for(bot.wait(), 120)
    downloaded = {line.split("/")[3] for line in fake.requests if line.startswith("GET /attachments/")}
    refused = [o for o in outcomes if o["refused"]]
    wasted = sum(o["bytes"] for o in refused if o["file_id"] in downloaded)
    return {
        "requests": args.requests, "members": args.members, "servers": args.servers,
        "big_uploads_mb": args.big_mb, "answered_once": sum(o["answers"] == 1 for o in outcomes),
        "refused_busy": sum("queue is full" in o["text"] for o in refused),
        "other_answers": sorted({o["text"][:60] for o in outcomes if "queue is full" not in o["text"]}),
        "bytes_downloaded_for_refused": wasted,
        "bot_rss_before_mib": round(baseline / 1024, 1), "bot_rss_peak_mib": round(peak.kib / 1024, 1),
        "wall_s": round(wall, 1),
    }


async def start_bot_process(fake: FakeDiscord, data: Path, max_queue: int) -> asyncio.subprocess.Process:
    config = data / "config.yaml"
    config.write_text(f"store:\n  path: {data / 'dreambot.db'}\n"
                      f"pool:\n  workers: 1\n  max_queue: {max_queue}\n  per_user: 2\n  job_timeout: 3600\n"
                      "limits:\n  max_side: 1024\n  steps: 40\n  octaves: 6\n")
    env = {**os.environ, "DISCORD_TOKEN": TOKEN, "DISCORD_API_BASE": fake.api_base}
    bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "--config", str(config),
                                               "--log-level", "warning", cwd=REPO, env=env,
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await fake.wait_for_gateway(identifies=1, timeout=300)
    return bot


async def fill_the_queue(world: World, jobs: int, image) -> None:
    """One long dream running and the rest of `jobs` waiting, from members of their own."""
    for i in range(jobs):
        user = world.fake.add_user(f"filler{i}", guilds=[world.guild_id]).id
        status = await world.reply_to(await world.say(user, LONG, image), timeout=600)
        assert is_status(status), status.content  # accepted: the pool's first start may take a minute


async def flood_one(world: World, user: int, image) -> dict:
    command = await world.say(user, "!dream size=256 steps=5", image)
    answer = await world.reply_to(command, timeout=300)
    answers = [m for m in world.fake.messages_in(world.channel_id) if m.reference_id == command.id]
    return {"refused": answer.content.startswith("⚠️"), "text": answer.content, "answers": len(answers),
            "file_id": str(command.files[0].id), "bytes": len(image[1])}


class Peak:
    """The largest resident memory of process `pid`, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.kib, self._task = pid, rss_kib(pid), None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            self.kib = max(self.kib, rss_kib(self.pid))
            await asyncio.sleep(SAMPLE_S)


def noise_png(mb: float) -> tuple[str, bytes, str]:
    """A PNG of random pixels (incompressible) of about `mb` megabytes."""
    side = int((mb * 2**20 / 3) ** 0.5)
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG", compress_level=1)
    return ("big.png", buf.getvalue(), "image/png")


if __name__ == "__main__":
    main()
