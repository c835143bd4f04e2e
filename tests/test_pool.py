"""The worker pool: fair queue ordering, limits, cancel, crashes, timeouts, shutdown.

The fair queue and error transport are tested as plain code. Pool tests run the real
engine in real worker processes at tiny sizes; one pool (one warm worker) serves the
module. A "slow" job is the real engine on purpose too: 512 px, 3 octaves, 200 steps
(minutes on CPU), so that whatever stops it early is the pool, not the job ending.
"""
from __future__ import annotations

import asyncio
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio
from PIL import Image

from dreaming.errors import (BadImage, BadParam, Cancelled, DreamError, DreamTimeout, Interrupted,
                             QueueFull, UnknownLayer, UserLimit, WeightsError, WorkerCrashed)
from dreaming.jobs import DreamJob, JobStatus
from dreaming.params import DreamParams, LayerTerm
from dreaming.pool import DreamPool
from dreaming.pool.fair_queue import FairQueue
from dreaming.pool.worker import pack_error, unpack_error, visible_gpus

QUICK = DreamParams(layers=(LayerTerm("mixed2"),), octaves=1, steps=3, max_side=96, seed=7)
MID = DreamParams(layers=(LayerTerm("mixed2"),), octaves=2, steps=20, max_side=320, seed=7)
SLOW = DreamParams(layers=(LayerTerm("mixed2"),), octaves=3, steps=200, max_side=512, seed=7)

module_loop = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def jpeg(photo) -> bytes:
    """A real photo (conftest's 600x400 coffee cup) as users upload it: JPEG bytes."""
    buf = io.BytesIO()
    Image.fromarray(photo).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def job(user: str, image: bytes, params: DreamParams = QUICK) -> DreamJob:
    return DreamJob(job_id=uuid.uuid4().hex[:8], user_id=user, image=image, params=params)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool():
    pool = DreamPool(workers=1, max_queue=20, per_user=3, job_timeout=120, cancel_grace=10)
    await pool.start()
    yield pool
    await pool.close(grace=0)


async def first_progress(handle) -> None:
    """Wait until the engine reports a step, so the job is surely running in the worker."""
    stepped = asyncio.Event()
    handle.on_progress(lambda _: stepped.set())
    await stepped.wait()


def worker_pids() -> list[int]:
    return [p.pid for p in multiprocessing.active_children() if p.name.startswith("dream-worker")]


# -- the fair queue, no processes --

def drain_keys(q: FairQueue) -> list[str]:
    return [q.pop() for _ in range(len(q))]


def test_queue_round_robin_across_users():
    q = FairQueue()
    for key in ["a1", "a2", "a3", "a4"]:
        q.push(key, "alice", key)
    for key in ["b1", "b2"]:
        q.push(key, "bob", key)
    assert [q.position(k) for k in ["a1", "b1", "a2", "b2"]] == [1, 2, 3, 4]
    assert drain_keys(q) == ["a1", "b1", "a2", "b2", "a3", "a4"]


def test_queue_newcomer_goes_before_a_served_users_next_job():
    q = FairQueue()
    q.push("a1", "alice", "a1")
    assert q.pop() == "a1"  # alice's first job is running
    for key in ["a2", "a3"]:
        q.push(key, "alice", key)
    q.push("b1", "bob", "b1")
    assert drain_keys(q) == ["b1", "a2", "a3"]


def test_queue_returning_user_saves_no_credit():
    q = FairQueue()
    for key in ["a1", "a2", "a3", "a4"]:
        q.push(key, "alice", key)
    q.push("b1", "bob", "b1")
    assert [q.pop(), q.pop()] == ["a1", "b1"]
    for key in ["b2", "b3", "b4"]:
        q.push(key, "bob", key)
    assert drain_keys(q) == ["a2", "b2", "a3", "b3", "a4", "b4"]


def test_queue_remove_gives_the_turn_to_the_users_next_job():
    q = FairQueue()
    for key in ["a1", "a2", "a3"]:
        q.push(key, "alice", key)
    for key in ["b1", "b2"]:
        q.push(key, "bob", key)
    assert q.remove("a2") == "a2" and q.remove("a2") is None
    assert "a2" not in q and q.position("a2") is None
    assert q.count("alice") == 2 and len(q) == 4
    assert q.position("a3") == 3  # a2's round, ahead of bob's second job
    assert q.drain() == ["a1", "b1", "a3", "b2"]
    assert len(q) == 0
    with pytest.raises(IndexError):
        q.pop()


def test_queue_rejects_duplicate_keys():
    q = FairQueue()
    q.push("x", "alice", 1)
    with pytest.raises(KeyError):
        q.push("x", "bob", 2)


# -- plumbing without workers --

@pytest.mark.parametrize("error", [
    BadImage("the PNG data is truncated or corrupt"),
    UnknownLayer("mixed99", "mixed9", ["mixed0", "mixed9"]),
    BadParam("steps", 0, "allowed 1..200"),
    WeightsError("no weights file at x", "Run setup."),
    Cancelled(),
    WorkerCrashed("out of memory", "Traceback ..."),
])
def test_errors_cross_the_process_boundary_intact(error):
    import pickle
    back = unpack_error(pickle.loads(pickle.dumps(pack_error(error))))
    assert type(back) is type(error)
    assert str(back) == str(error) and vars(back) == vars(error)


def test_foreign_exceptions_become_dream_errors():
    back = unpack_error(pack_error(ValueError("boom")))
    assert type(back) is DreamError and "ValueError" in str(back) and "boom" in str(back)


@pytest.mark.parametrize("env, expected", [
    ("0,1", ["0", "1"]), ("", []), ("-1", []), ("2,-1,3", ["2"]), ("GPU-abc", ["GPU-abc"]),
])
def test_visible_gpus_reads_cuda_visible_devices(monkeypatch, env, expected):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", env)
    assert visible_gpus() == expected
    assert DreamPool(workers="auto").size == max(1, len(expected))


def test_importing_the_pool_does_not_import_tensorflow():
    code = ("import dreaming.pool, sys; "
            "assert not {'tensorflow', 'keras'} & set(sys.modules), 'TensorFlow imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


@module_loop
async def test_limits_reject_at_once_and_close_interrupts_queued(jpeg):
    pool = DreamPool(workers=1, max_queue=3, per_user=2)  # never started: jobs only wait
    handles = [pool.submit(job(user, jpeg)) for user in ["ann", "ann", "bob"]]
    assert [h.position for h in handles] == [1, 3, 2]
    with pytest.raises(UserLimit) as err:
        pool.submit(job("ann", jpeg))
    assert err.value.limit == 2
    with pytest.raises(QueueFull) as err:
        pool.submit(job("cat", jpeg))
    assert err.value.limit == 3
    assert pool.stats().queued == 3
    assert pool.cancel(handles[0].job_id) and not pool.cancel(handles[0].job_id)
    handles.append(pool.submit(job("cat", jpeg)))  # the cancelled job's place is free
    await pool.close()
    for handle in handles[1:]:
        with pytest.raises(Interrupted):
            await handle.result()
        assert handle.status is JobStatus.failed
    with pytest.raises(Interrupted):
        pool.submit(job("dan", jpeg))


# -- a real pool --

@pytest.mark.slow
@module_loop
async def test_happy_path_returns_image_of_fitted_size(pool, jpeg):
    handle = pool.submit(job("ann", jpeg))
    result = await handle.result()
    assert result.image.shape == (64, 96, 3) and result.image.dtype == np.uint8
    assert result.params.seed == 7 and len(result.losses) == 3
    assert handle.status is JobStatus.done and handle.position == 0


@pytest.mark.slow
@module_loop
@pytest.mark.parametrize("image, params, error", [
    (b"\x89PNG\r\n\x1a\nnot really", QUICK, BadImage),
    (None, QUICK.replace(steps=0), BadParam),
])
async def test_engine_errors_reach_the_caller_as_their_types(pool, jpeg, image, params, error):
    handle = pool.submit(job("ann", image or jpeg, params))
    with pytest.raises(error):
        await handle.result()
    assert handle.status is JobStatus.failed


@pytest.mark.slow
@module_loop
async def test_a_bug_in_a_job_is_reported_and_the_worker_stays_warm(pool, jpeg):
    restarts = pool.stats().restarts
    handle = pool.submit(job("ann", "not bytes"))  # a caller's bug: decode() raises TypeError
    with pytest.raises(WorkerCrashed) as err:
        await handle.result()
    assert err.value.reason == "internal error: TypeError"
    assert "Traceback" in err.value.details and "decode" in err.value.details
    await pool.submit(job("bob", jpeg)).result()
    assert pool.stats().restarts == restarts


@pytest.mark.slow
@module_loop
async def test_users_are_served_round_robin(pool, jpeg):
    handles = {key: pool.submit(job(key[0], jpeg)) for key in ["a1", "a2", "a3", "b1", "b2"]}
    expected = ["a1", "b1", "a2", "b2", "a3"]
    assert sorted(handles, key=lambda k: handles[k].position) == expected
    await asyncio.gather(*(h.result() for h in handles.values()))
    assert sorted(handles, key=lambda k: handles[k].started_at) == expected


@pytest.mark.slow
@module_loop
async def test_per_user_limit_counts_running_jobs(pool, jpeg, monkeypatch):
    monkeypatch.setattr(pool, "per_user", 2)
    running = pool.submit(job("ann", jpeg, SLOW))
    waiting = pool.submit(job("ann", jpeg))
    with pytest.raises(UserLimit):
        pool.submit(job("ann", jpeg))
    other = pool.submit(job("bob", jpeg))
    assert pool.cancel(running.job_id)
    again = pool.submit(job("ann", jpeg))
    for handle in (waiting, other, again):
        await handle.result()


@pytest.mark.slow
@module_loop
async def test_cancel_queued_job(pool, jpeg):
    running = pool.submit(job("ann", jpeg, SLOW))
    queued = pool.submit(job("bob", jpeg))
    assert queued.status is JobStatus.queued and queued.position == 1
    assert pool.cancel(queued.job_id)
    with pytest.raises(Cancelled):
        await queued.result()
    assert queued.status is JobStatus.cancelled and queued.position == 0
    assert pool.stats().queued == 0 and running.status is JobStatus.running
    assert running.cancel()


@pytest.mark.slow
@module_loop
async def test_cancel_running_job_stops_the_engine_early(pool, jpeg):
    restarts = pool.stats().restarts
    slow = pool.submit(job("ann", jpeg, SLOW))
    await first_progress(slow)
    assert slow.cancel()
    with pytest.raises(Cancelled):
        await slow.result()
    assert slow.status is JobStatus.cancelled
    # The worker stops between two steps and keeps its model: no kill, no restart.
    await pool.submit(job("bob", jpeg)).result()
    assert pool.stats().restarts == restarts
    assert slow.progress.done < 0.5


@pytest.mark.slow
@module_loop
async def test_killed_worker_fails_its_job_and_is_restarted(pool, jpeg):
    restarts = pool.stats().restarts
    slow = pool.submit(job("ann", jpeg, SLOW))
    await first_progress(slow)
    [pid] = worker_pids()
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(WorkerCrashed) as err:
        await slow.result()
    assert "SIGKILL" in err.value.reason and slow.status is JobStatus.failed
    result = await pool.submit(job("bob", jpeg)).result()
    assert result.image.shape == (64, 96, 3)
    assert pool.stats().restarts == restarts + 1 and worker_pids() != [pid]


@pytest.mark.slow
@module_loop
async def test_timeout_fails_the_job_and_frees_the_worker(pool, jpeg, monkeypatch):
    restarts = pool.stats().restarts
    monkeypatch.setattr(pool, "job_timeout", 3.0)
    slow = pool.submit(job("ann", jpeg, SLOW))
    with pytest.raises(DreamTimeout) as err:
        await slow.result()
    assert err.value.seconds == 3.0 and slow.status is JobStatus.timed_out
    monkeypatch.undo()
    await pool.submit(job("bob", jpeg)).result()
    assert pool.stats().restarts == restarts  # stopped between steps, not killed


@pytest.mark.slow
@module_loop
async def test_event_loop_stays_responsive_while_dreaming(pool, jpeg):
    lags: list[float] = []

    async def ticker():
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - before - 0.01)

    seen, called = [], []
    tick = asyncio.create_task(ticker())
    try:
        handle = pool.submit(job("ann", jpeg, MID))
        handle.on_progress(called.append)
        handle.on_progress(seen.append)
        others = [pool.submit(job("bob", jpeg)), pool.submit(job("cat", jpeg))]
        result = await handle.result()
        await asyncio.gather(*(h.result() for h in others))
    finally:
        tick.cancel()
    assert result.image.shape == (213, 320, 3)
    assert seen and called and seen[-1] == called[-1]
    assert [p.done for p in seen] == sorted(p.done for p in seen)
    print(f"loop lag over {len(lags)} ticks: max {max(lags)*1000:.1f} ms")
    assert len(lags) > 50 and max(lags) < 0.5, f"worst loop lag {max(lags):.3f}s"


@pytest.mark.slow
@module_loop
async def test_close_lets_short_jobs_finish_and_interrupts_the_rest(jpeg):
    already = set(worker_pids())  # the module's pool
    pool = DreamPool(workers=2, per_user=5, cancel_grace=10)
    await pool.start()
    assert len(set(worker_pids()) - already) == 2
    slow = pool.submit(job("ann", jpeg, SLOW))
    await first_progress(slow)
    quick = pool.submit(job("bob", jpeg))
    queued = pool.submit(job("cat", jpeg))
    for pid in set(worker_pids()) - already:  # as Ctrl-C does to the whole process group
        os.kill(pid, signal.SIGINT)
    await pool.close(grace=10)
    assert (await quick.result()).image.shape == (64, 96, 3)
    for handle in (slow, queued):
        with pytest.raises(Interrupted):
            await handle.result()
    assert pool.stats().alive == 0 and set(worker_pids()) <= already


@pytest.mark.slow
@module_loop
async def test_start_fails_with_the_workers_load_error(tmp_path):
    pool = DreamPool(workers=1, weights=str(tmp_path / "missing.weights.h5"))
    with pytest.raises(WeightsError):
        await pool.start()
    assert pool.stats().alive == 0


@pytest.mark.slow
@module_loop
async def test_close_while_starting_interrupts_the_start():
    pool = DreamPool(workers=1)
    starting = asyncio.ensure_future(pool.start())
    await asyncio.sleep(0.5)  # the worker is still importing TensorFlow
    await pool.close()
    with pytest.raises(Interrupted):
        await starting
    assert pool.stats().alive == 0
