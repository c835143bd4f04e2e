"""A burst of 200 requests from 50 users against one worker and a small queue: the bound
holds, every request gets one answer (a dream or a clear "busy"), nothing is lost or posted
twice, and the bot process's memory stays bounded. The figures are printed (run with -s)."""
from __future__ import annotations

import pytest

from bench.load import burst
from tests.botkit.files import coffee_jpeg

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300), pytest.mark.slow]

REQUESTS, USERS, MAX_QUEUE, PER_USER = 200, 50, 8, 2
TINY = "size=96 octaves=1 steps=2 layer=mixed2"
BUSY = ("The queue is full", "You already have")
#: Generous: the burst holds at most MAX_QUEUE + PER_USER*USERS small JPEGs, a few MiB; a leak
#: of one decoded photo per request (200 x 480 KB) or of the uploads would show.
RSS_GROWTH_LIMIT_MIB = 150


async def test_burst_of_200_from_50_users(world, start_bot, pool, monkeypatch):
    monkeypatch.setattr(pool, "max_queue", MAX_QUEUE)
    monkeypatch.setattr(pool, "per_user", PER_USER)
    bot = await start_bot(pool)
    photo = ("coffee.jpg", coffee_jpeg(400), "image/jpeg")

    run = await burst(world, bot, pool, requests=REQUESTS, users=USERS, options=TINY, photo=photo)

    growth_mib = (run.rss_peak_kib - run.rss_baseline_kib) / 1024
    print(f"\nload: {run.delivered} dreamt, {REQUESTS - run.delivered} busy in {run.wall_s:.1f} s; "
          f"max queued {run.max_queued}; ack p50 {run.quantile('ack_s', .5) * 1000:.0f} ms "
          f"p99 {run.quantile('ack_s', .99) * 1000:.0f} ms; loop lag p99 {run.lag.quantile(.99) * 1000:.0f} ms; "
          f"peak RSS {run.rss_peak_kib / 1024:.0f} MiB (+{growth_mib:.0f} MiB)")
    assert run.max_queued <= MAX_QUEUE
    assert len(run.outcomes) == REQUESTS
    assert [o.answers for o in run.outcomes] == [1] * REQUESTS, "every request gets exactly one final answer"
    assert run.stray_results == 0
    refused = [o.text for o in run.outcomes if not o.result]
    unclear = [t for t in refused if not (t.startswith("⚠️") and any(b in t for b in BUSY) and "\n" not in t)]
    assert unclear == [], f"answers that are neither a dream nor a clear busy: {unclear[:5]}"
    assert run.delivered == run.done_in_pool, "every dream the pool finished was delivered, once"
    assert run.delivered >= MAX_QUEUE, "the queue did its job: at least a full queue was dreamt"
    assert growth_mib < RSS_GROWTH_LIMIT_MIB, f"bot process grew {growth_mib:.0f} MiB"
