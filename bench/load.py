"""A burst of requests through discordlocal, measured: shared by bench/bench_load.py and the
load test (tests/test_resilience_load.py), so both run exactly the same scenario.

Every user posts their requests at once (no pacing). For each request the first answer
(acknowledgement or refusal) and the final answer (a result, or a one-line warning) are
timed; while it runs, a sampler watches the pool's queue, the process's resident memory
and the event loop's lag.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench.dreambot import World, is_status
from discordlocal import FileSpec, LoopLag

#: How often the sampler looks at the queue and the memory.
SAMPLE_S = 0.02


@dataclass
class Outcome:
    command_id: int  #: the request's message
    user: int
    ack_s: float  #: request sent -> the bot's first answer
    final_s: float  #: request sent -> result or warning
    result: bool  #: a dream was delivered (else `text` says why not)
    text: str
    answers: int = 0  #: final answers found for this request once everything settled


@dataclass
class LoadRun:
    outcomes: list[Outcome]
    wall_s: float
    max_queued: int
    rss_baseline_kib: int
    rss_peak_kib: int
    lag: LoopLag
    done_in_pool: int  #: jobs the pool finished as done during the run
    stray_results: int = 0  #: final answers that reply to no request of this run

    @property
    def delivered(self) -> int:
        return sum(o.result for o in self.outcomes)

    def quantile(self, attr: str, q: float) -> float:
        values = sorted(getattr(o, attr) for o in self.outcomes)
        if len(values) < 2:
            return values[0] if values else float("nan")
        return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


async def burst(world: World, bot, pool, *, requests: int, users: int, options: str, photo: FileSpec,
                timeout: float = 300.0) -> LoadRun:
    """`requests` `!dream {options}` from `users` users, all sent at once; waits for every answer."""
    people = [world.fake.add_user(f"load{i}", guilds=[world.guild_id]).id for i in range(users)]
    done_before = pool.stats().outcomes.get("done", 0)
    sampler = _Sampler(pool)
    async with LoopLag(interval=0.02) as lag:
        sampler.start()
        started = time.monotonic()
        outcomes = await asyncio.gather(*(_one(world, people[i % users], options, photo, timeout)
                                          for i in range(requests)))
        wall = time.monotonic() - started
        await bot.runner.wait_idle(30)  # replies still in flight would be missed by the count below
        await sampler.stop()
    answers = _final_answers(world)
    commands = {m.id: m for m in world.fake.messages_in(world.channel_id) if m.author_id != world.fake.bot_user.id}
    for outcome in outcomes:
        outcome.answers = len(answers.get(outcome.command_id, []))
    stray = sum(len(v) for k, v in answers.items() if k not in commands)
    return LoadRun(outcomes, wall, sampler.max_queued, sampler.rss_baseline, sampler.rss_peak, lag,
                   pool.stats().outcomes.get("done", 0) - done_before, stray)


async def _one(world: World, user: int, options: str, photo: FileSpec, timeout: float) -> Outcome:
    sent = time.monotonic()
    command = await world.say(user, f"!dream {options}", photo)
    first = await world.reply_to(command, timeout=timeout)
    ack = time.monotonic() - sent
    final = first
    if is_status(first):
        final = await world.fake.wait_until(
            lambda: next((m for m in world.fake.messages_in(world.channel_id) if m.reference_id == command.id
                          and (m.files or m.content.startswith("⚠️"))), None),
            timeout=timeout, what=f"the end of request {command.id}")
    return Outcome(command.id, user, ack, time.monotonic() - sent, bool(final.files), final.content)


def _final_answers(world: World) -> dict[int, list]:
    """Command message id -> the bot's final answers to it (results and warnings)."""
    out: dict[int, list] = {}
    for m in world.fake.messages_in(world.channel_id):
        if m.author_id == world.fake.bot_user.id and m.reference_id and (m.files or m.content.startswith("⚠️")):
            out.setdefault(m.reference_id, []).append(m)
    return out


class _Sampler:
    def __init__(self, pool) -> None:
        self.pool = pool
        self.max_queued = 0
        self.rss_baseline = rss_kib()
        self.rss_peak = self.rss_baseline
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            self.max_queued = max(self.max_queued, self.pool.stats().queued)
            self.rss_peak = max(self.rss_peak, rss_kib())
            await asyncio.sleep(SAMPLE_S)


def rss_kib(pid: int | str = "self") -> int:
    """Resident memory of process `pid` (this one by default) now, from Linux /proc, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")
