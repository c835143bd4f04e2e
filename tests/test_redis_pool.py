"""The pool's redis backend: the same guarantees as the local pool, with workers anywhere.

A real Redis server (`redis_server`) and two real worker processes (`remote_workers`,
`python -m dreaming.worker --workers 2`, the real model on the CPU) serve the module's
`RedisPool`. Jobs are held with SIGSTOP or by being long (the real engine at 512 px, 200
steps: minutes on a CPU), never by sleeping; waits are on conditions, with deadlines.
After every test the pool must be settled and Redis hold nothing of any job.
"""
from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import pickle
import signal
import uuid

import pytest
import pytest_asyncio
from PIL import Image

from dreaming.errors import (BadImage, Cancelled, DreamTimeout, ImageTooLarge, QueueFull,
                             Unavailable, UserLimit, WorkerCrashed)
from dreaming.jobs import DreamJob, JobStatus, Progress
from dreaming.params import DreamParams, LayerTerm
from dreaming.pool.interface import Pool
from dreaming.pool import DreamPool
from dreaming.pool.protocol import JobCrashed, JobFailed, pack_error
from dreaming.pool.redis_pool import RedisPool, _outcome
from dreaming.pool.remote import Event, WorkerInfo, arq_id, check_url, job_id_of, redact, redis_settings

QUICK = DreamParams(layers=(LayerTerm("mixed2"),), octaves=1, steps=3, max_side=96, seed=7)
MID = DreamParams(layers=(LayerTerm("mixed2"),), octaves=2, steps=10, max_side=256, seed=7)
LONGER = DreamParams(layers=(LayerTerm("mixed2"),), octaves=2, steps=100, max_side=256, seed=7)
SLOW = DreamParams(layers=(LayerTerm("mixed2"),), octaves=3, steps=200, max_side=512, seed=7)

module_loop = pytest.mark.asyncio(loop_scope="module")
pytestmark = pytest.mark.timeout(300)
#: what may stay in Redis between jobs: heartbeats, and arq's worker health-check key
IDLE_KEYS = ("dreambot:worker:", "dreambot:queue:health-check")


@pytest.fixture(scope="module")
def jpeg(photo) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def job(user: str, image: bytes, params: DreamParams = QUICK, job_id: str | None = None) -> DreamJob:
    return DreamJob(job_id=job_id or uuid.uuid4().hex[:8], user_id=user, image=image, params=params)


async def until(condition, what: str, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def running_on(workers, handle, *, other_than: int | None = None):
    """The worker whose heartbeat says it dreams `handle`'s job (and isn't `other_than`)."""
    found = []

    def look() -> bool:
        found[:] = [w for w in workers.running(handle.job_id) if w.pid != other_than]
        return bool(found)
    await until(look, f"a worker to dream {handle.job_id}", 60)
    return found[0]


async def first_progress(handle) -> None:
    stepped = asyncio.Event()
    handle.on_progress(lambda _: stepped.set())
    if handle.progress is None:
        await asyncio.wait_for(stepped.wait(), 120)


def job_keys(server) -> list[str]:
    return [k for k in server.keys() if not k.startswith(IDLE_KEYS)]


async def nothing_left(server) -> None:
    await until(lambda: not job_keys(server), f"Redis to hold nothing of any job: {job_keys(server)}", 30)


def new_pool(server, **options) -> RedisPool:
    return RedisPool(url=server.url, **{"max_queue": 20, "per_user": 5, "job_timeout": 120,
                                        "poll_interval": 0.2, **options})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def started_pool(redis_server, remote_workers):
    pool = new_pool(redis_server)
    await pool.start()
    await until(lambda: pool.stats().alive == 2, "two workers alive", 60)
    yield pool
    await pool.close(grace=0)


@pytest_asyncio.fixture(loop_scope="module")
async def rpool(started_pool, redis_server, remote_workers):
    """The module's pool; after the test, settled again (2 workers alive and free) and Redis clean."""
    yield started_pool
    remote_workers.release()
    await until(lambda: started_pool.available, "Redis back", 30)
    await until(lambda: started_pool.stats().settled and started_pool.stats().alive == 2,
                f"pool settled: {started_pool.stats()}", 180)
    await nothing_left(redis_server)


# -- plain code, no server --

@pytest.mark.parametrize("url, problem", [
    ("redis://:pw@localhost:6379/0", None),
    ("rediss://user:pw@redis.example:6380/2", None),
    ("http://localhost", "must start with redis:// or rediss:// (TLS)"),
    ("redis://", "must name a host"),
    ("redis://h:notaport", "is not a valid URL"),
])
def test_redis_urls_are_checked(url, problem):
    found = check_url(url)
    assert (found is None) if problem is None else found.startswith(problem)


def test_urls_are_shown_without_their_password():
    assert redact("redis://:s3cret@h:6379/0") == "redis://:***@h:6379/0"
    assert redact("rediss://me:s3cret@h/1") == "rediss://me:***@h/1"
    assert redact("redis://h:6379") == "redis://h:6379"
    settings = redis_settings("rediss://:s3cret@h:6380/3")
    assert (settings.ssl, settings.password, settings.port, settings.database) == (True, "s3cret", 6380, 3)


def test_events_and_heartbeats_cross_as_json():
    progress = Progress(octave=1, octaves=2, step=3, steps=4, done=0.25, eta_s=None, loss=1.5)
    event = Event("progress", "j1", "host-1", 2, progress)
    assert Event.loads(event.dumps()) == event
    info = WorkerInfo("host-7", "host", "GPU 0", 7, job="j1")
    assert WorkerInfo.loads(info.dumps()) == info
    assert job_id_of(arq_id("abc")) == "abc" and job_id_of("other:abc") is None


@pytest.mark.parametrize("success, value, expected", [
    (False, JobFailed("j", pack_error(BadImage("truncated"))), BadImage),
    (True, JobCrashed("j", "out of memory", "tb", True), WorkerCrashed),
    (False, asyncio.CancelledError(), Cancelled),
    (False, asyncio.TimeoutError(), DreamTimeout),
    (False, ValueError("?"), WorkerCrashed),
])
def test_arq_outcomes_become_the_pools_errors(success, value, expected):
    result, error = _outcome(success, pickle.loads(pickle.dumps(value)), 60.0)
    assert result is None and type(error) is expected


def test_both_backends_keep_one_interface():
    local, redis = DreamPool(workers=1), RedisPool(url="redis://127.0.0.1:1/0")
    assert isinstance(local, Pool) and isinstance(redis, Pool)
    assert (local.backend, redis.backend) == (local.stats().backend, "redis") == ("local", "redis")


@module_loop
async def test_an_unreachable_redis_refuses_jobs_with_one_clear_error(jpeg):
    pool = RedisPool(url="redis://:pw@127.0.0.1:1/0", poll_interval=0.1)
    await pool.start()  # not fatal: the bot starts, and takes dreams once Redis answers
    try:
        with pytest.raises(Unavailable) as err:
            pool.submit(job("ann", jpeg))
        with pytest.raises(Unavailable):
            with pool.place():
                pass
        assert "temporarily unavailable" in str(err.value) and JobStatus.of_error(err.value) is JobStatus.busy
        assert pool.stats().alive == 0
    finally:
        await pool.close(grace=0)


# -- with a real Redis and two real workers --

@pytest.mark.slow
@module_loop
async def test_a_dream_goes_through_redis_and_leaves_nothing_there(rpool, jpeg, redis_server):
    handle = rpool.submit(job("ann", jpeg))
    result = await handle.result()
    assert result.image.shape == (64, 96, 3) and handle.status is JobStatus.done
    assert rpool.stats().hosts and sum(rpool.stats().hosts.values()) == 2
    failed = rpool.submit(job("ann", b"not an image at all"))
    with pytest.raises(BadImage):
        await failed.result()
    assert failed.status is JobStatus.refused
    await nothing_left(redis_server)


@pytest.mark.slow
@module_loop
async def test_limits_hold_in_the_bot_across_all_workers(rpool, jpeg, monkeypatch):
    monkeypatch.setattr(rpool, "per_user", 2)
    monkeypatch.setattr(rpool, "max_image_bytes", 1000)
    with pytest.raises(ImageTooLarge):
        rpool.submit(job("ann", jpeg))
    monkeypatch.setattr(rpool, "max_image_bytes", 10**8)
    running = [rpool.submit(job(user, jpeg, SLOW)) for user in ("ann", "bob")]
    await asyncio.gather(*(first_progress(h) for h in running))
    monkeypatch.setattr(rpool, "max_queue", 1)  # both workers busy: one more may wait
    waiting = rpool.submit(job("ann", jpeg))
    with pytest.raises(UserLimit):
        rpool.submit(job("ann", jpeg))
    with pytest.raises(QueueFull):
        rpool.submit(job("cat", jpeg))
    with pytest.raises(QueueFull):
        with rpool.place():
            pass
    assert waiting.position == 1 and rpool.stats().queued == 1
    for handle in (*running, waiting):
        handle.cancel()


@pytest.mark.slow
@module_loop
async def test_users_are_served_round_robin_not_first_come(rpool, jpeg):
    started: list[str] = []
    handles = [rpool.submit(job(user, jpeg, QUICK, job_id=f"{user}{i}-{uuid.uuid4().hex[:4]}"))
               for i, user in enumerate(["ann", "ann", "ann", "ann", "bob"])]
    for h in handles:
        h.on_running(lambda h=h: started.append(h.job.user_id))
    await asyncio.gather(*(h.result() for h in handles))
    # Two workers: ann's first and bob's only job go first, ahead of ann's second.
    assert started.index("bob") <= 1, started


@pytest.mark.slow
@module_loop
async def test_turns_are_shared_by_work_through_redis_too(rpool, jpeg):
    started: list[str] = []
    users = [("ann", 30.0)] * 2 + [("bob", 1.0)] * 4  # ann's dreams are 30 times bob's work
    handles = [rpool.submit(dataclasses.replace(job(user, jpeg, QUICK), work=work)) for user, work in users]
    for h in handles:
        h.on_running(lambda h=h: started.append(h.job.user_id))
    await asyncio.gather(*(h.result() for h in handles))
    # Two workers: ann's first and bob's first start together, then all of bob's small ones
    # before ann's second (by job count she would have had every other turn).
    assert sorted(started[:2]) == ["ann", "bob"] and started[2:] == ["bob", "bob", "bob", "ann"], started


@pytest.mark.slow
@module_loop
async def test_cancel_a_queued_and_a_running_job_on_a_remote_worker(rpool, jpeg, remote_workers):
    running = [rpool.submit(job(user, jpeg, SLOW)) for user in ("ann", "bob")]
    await asyncio.gather(*(first_progress(h) for h in running))
    queued = rpool.submit(job("cat", jpeg))
    assert queued.status is JobStatus.queued and queued.position == 1
    assert rpool.cancel(queued.job_id)
    with pytest.raises(Cancelled):
        await queued.result()
    busy = {w.pid for w in remote_workers.alive() if w.job}
    assert running[0].cancel()
    with pytest.raises(Cancelled):
        await running[0].result()
    assert running[0].status is JobStatus.cancelled
    # The worker stopped the dream between two steps and stays warm: the next job runs on it.
    await (rpool.submit(job("dan", jpeg))).result()
    assert {w.pid for w in remote_workers.alive()} >= busy  # nobody was killed
    assert running[0].progress.done < 0.5
    assert running[1].cancel()


@pytest.mark.slow
@module_loop
async def test_job_timeout_stops_the_dream_and_frees_the_worker(rpool, jpeg, remote_workers, monkeypatch):
    monkeypatch.setattr(rpool, "job_timeout", 2.0)
    slow = rpool.submit(job("ann", jpeg, SLOW))
    worker = await running_on(remote_workers, slow)
    remote_workers.freeze(worker.pid)  # however fast the machine, it can't finish first
    with pytest.raises(DreamTimeout) as err:
        await slow.result()
    assert err.value.seconds == 2.0 and slow.status is JobStatus.timed_out
    remote_workers.release()
    monkeypatch.undo()
    await rpool.submit(job("bob", jpeg)).result()


@pytest.mark.slow
@module_loop
async def test_a_worker_killed_mid_job_hands_it_to_another_then_a_second_death_fails_it(
        rpool, jpeg, remote_workers):
    # Once: the other worker dreams it again, and it is delivered once.
    handle = rpool.submit(job("ann", jpeg, MID))
    await first_progress(handle)
    first = await running_on(remote_workers, handle)
    os.kill(first.pid, signal.SIGKILL)
    result = await asyncio.wait_for(handle.result(), 180)
    assert result.image.shape[:2] == (171, 256) and handle.status is JobStatus.done

    # Twice: it fails, with one clear line.
    remote_workers.wait_alive(2)
    handle = rpool.submit(job("bob", jpeg, SLOW))
    await first_progress(handle)
    first = await running_on(remote_workers, handle)
    os.kill(first.pid, signal.SIGKILL)
    second = await running_on(remote_workers, handle, other_than=first.pid)
    os.kill(second.pid, signal.SIGKILL)
    with pytest.raises(WorkerCrashed) as err:
        await asyncio.wait_for(handle.result(), 120)
    assert handle.status is JobStatus.crashed and "stopped 2 times" in str(err.value)
    remote_workers.wait_alive(2, without={first.pid, second.pid})


@pytest.mark.slow
@module_loop
async def test_redis_stopped_and_started_again(rpool, jpeg, redis_server):
    handle = rpool.submit(job("ann", jpeg, MID))
    await first_progress(handle)
    redis_server.stop()
    await until(lambda: not rpool.available, "the pool to see Redis gone", 30)
    with pytest.raises(Unavailable):
        rpool.submit(job("bob", jpeg))
    with pytest.raises(Unavailable):
        with rpool.place():
            pass
    redis_server.start()
    await until(lambda: rpool.available, "the pool to see Redis back", 30)
    result = await asyncio.wait_for(handle.result(), 180)  # kept by AOF, perhaps dreamt again
    assert handle.status is JobStatus.done and result.image.shape[:2] == (171, 256)
    await rpool.submit(job("bob", jpeg)).result()


@pytest.mark.slow
# Its bounded waits (workers free, first steps, the adopted result, the sweep) add up to about
# 10 minutes on a slow machine: the suite's 5-minute limit would cut a run that is only slow.
@pytest.mark.timeout(900)
@module_loop
async def test_a_restarted_bot_adopts_its_jobs_in_redis_and_sweeps_the_rest(
        rpool, jpeg, redis_server, remote_workers):
    before = new_pool(redis_server)
    await before.start()
    await until(lambda: before.stats().alive == 2, "workers seen", 30)
    # Both workers free (an earlier test's aborted dream may still be ending on one): else
    # `kept` would wait for `dropped`'s worker, and `dropped` could end before the bot stops.
    await until(lambda: sum(w.job is None for w in remote_workers.alive()) == 2, "both workers free", 120)
    kept, dropped = job("ann", jpeg, LONGER), job("bob", jpeg, SLOW)
    handles = [before.submit(dropped)]
    await first_progress(handles[0])
    handles.append(before.submit(kept))
    await first_progress(handles[1])
    # Held for a moment (well within its lease), so that it is surely still running below.
    remote_workers.freeze((await running_on(remote_workers, handles[1])).pid)
    await before.close(grace=0)  # the bot stops; the dreams go on in the workers
    assert [h.status for h in handles] == [JobStatus.interrupted] * 2

    after = new_pool(redis_server, adopt_window=1.0)
    await after.start()
    try:
        adopted = after.submit(kept)  # the bot's recovery submits the stored job again
        remote_workers.release()
        assert adopted.position == 0, "adopted, not queued to be dreamt again"
        result = await asyncio.wait_for(adopted.result(), 120)
        assert adopted.status is JobStatus.done and result.image.shape[:2] == (171, 256)
        assert adopted.progress is not None  # followed, not started again: it was underway
        # `dropped` was not recovered: aborted and removed once the window closed.
        await until(lambda: after.stats().settled, f"leftover swept: {after.stats()}", 120)
    finally:
        await after.close(grace=0)
    await nothing_left(redis_server)
