"""The worker pool: fair queue ordering, protocol, limits, cancel, crashes, timeouts, shutdown.

The fair queue, the job handle and error transport are tested as plain code, the protocol's
messages through a real pipe to a real process. Pool tests run the real engine in real
worker processes at tiny sizes; one pool (one warm worker) serves the module. A "slow" job is the real engine on purpose too: 512 px, 3 octaves, 200 steps
(minutes on CPU), so that whatever stops it early is the pool, not the job ending.
"""
from __future__ import annotations

import asyncio
import dataclasses
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import get_args

import numpy as np
import pytest
import pytest_asyncio
from PIL import Image

from dreaming.errors import (BadImage, BadParam, Cancelled, DreamError, DreamTimeout, Interrupted,
                             QueueFull, UnknownLayer, UserLimit, WeightsError, WorkerCrashed)
from dreaming.jobs import DreamJob, DreamResult, JobStatus, Progress
from dreaming.params import DreamParams, LayerTerm
from dreaming.pool import DreamPool, JobHandle, process
from dreaming.pool.fair_queue import FairQueue
from dreaming.pool.process import BROKE_PROTOCOL, visible_gpus
from dreaming.pool.protocol import (
    CancelJob, Fatal, FromWorker, JobCrashed, JobDone, JobFailed, JobProgress, Ready, RunJob, Stop,
    ToWorker, WorkerExited, WorkerState, pack_error, unpack_error,
)

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


def test_queue_one_members_huge_dreams_do_not_crowd_out_anothers_many_small_ones():
    # alice's dreams are 10 units each (big images, many steps), bob's 1 unit each.
    q = FairQueue()
    for key in ["a1", "a2", "a3"]:
        q.push(key, "alice", key, work=10.0)
    for i in range(1, 13):
        q.push(f"b{i}", "bob", f"b{i}", work=1.0)

    order = drain_keys(q)

    # By job count alice would take every other turn (a1 b1 a2 b2 a3 ...) and bob's twelve
    # small dreams would wait behind her 30 units; by work, bob's first ten go before a2.
    assert order[:12] == ["a1", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "a2"]
    assert order.index("a3") > order.index("b12") and len(order) == 15


def test_queue_shares_by_work_as_members_keep_coming():
    # One worker: the queue pops one job at a time while both keep one job waiting.
    q = FairQueue()
    served = {"alice": 0.0, "bob": 0.0}
    work = {"alice": 8.0, "bob": 1.0}
    q.push("alice-0", "alice", "alice", work=8.0)
    q.push("bob-0", "bob", "bob", work=1.0)
    for n in range(1, 60):
        user = q.pop()
        served[user] += work[user]
        q.push(f"{user}-{n}", user, user, work=work[user])
    # Each member got about the same work done, not the same number of jobs.
    assert abs(served["alice"] - served["bob"]) <= 8.0


def test_queue_work_ahead_adds_the_jobs_before_one():
    q = FairQueue()
    q.push("a1", "alice", "a1", work=5.0)
    q.push("a2", "alice", "a2", work=2.0)
    q.push("b1", "bob", "b1", work=3.0)
    assert [q.work_ahead(k) for k in ["a1", "b1", "a2"]] == [0.0, 5.0, 8.0]
    assert q.work_ahead("gone") == 10.0


def test_queue_refuses_work_that_is_not_positive():
    with pytest.raises(ValueError):
        FairQueue().push("x", "alice", 1, work=0.0)


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


def protocol_samples(image: bytes) -> list:
    """One message of every protocol type, with real payloads; `Stop` last."""
    progress = Progress(octave=1, octaves=2, step=3, steps=20, done=0.1, eta_s=None, loss=1.5)
    result = DreamResult(image=np.arange(18, dtype=np.uint8).reshape(2, 3, 3), params=QUICK,
                         losses=(1.0, 2.0), seconds=0.5)
    return [
        RunJob(job("ann", image)), CancelJob("j1"),
        Ready(), Fatal(pack_error(WeightsError("no weights file at x", "Run setup."))),
        JobProgress("j1", progress), JobDone("j1", result),
        JobFailed("j1", pack_error(UnknownLayer("mixed99", "mixed9", ["mixed9"]))),
        JobCrashed("j1", "internal error: TypeError", "Traceback ...", exiting=False),
        WorkerExited(-9), Stop(),
    ]


def echo(conn) -> None:
    """A child process that sends back whatever it receives, until `Stop`."""
    while True:
        msg = conn.recv()
        conn.send(msg)
        if isinstance(msg, Stop):
            return


def same_message(a, b) -> bool:
    if isinstance(a, JobDone):  # a dataclass's == cannot compare the image array
        return (type(b) is JobDone and np.array_equal(a.result.image, b.result.image)
                and replace(a, result=replace(a.result, image=None))
                == replace(b, result=replace(b.result, image=None)))
    return type(a) is type(b) and a == b


def test_every_message_type_crosses_a_process_pipe_unchanged(jpeg):
    samples = protocol_samples(jpeg)
    every_type = {*get_args(ToWorker), *get_args(FromWorker), WorkerExited}
    assert {type(m) for m in samples} == every_type, "a message type without a sample"
    ctx = multiprocessing.get_context("spawn")  # the pool's: a fresh interpreter unpickles
    conn, child_conn = ctx.Pipe()
    child = ctx.Process(target=echo, args=(child_conn,), daemon=True)
    child.start()
    child_conn.close()
    backs = []
    try:
        for msg in samples:
            conn.send(msg)
            backs.append(conn.recv())
            assert same_message(msg, backs[-1]), f"{msg!r} came back as {backs[-1]!r}"
        child.join(timeout=60)
        assert child.exitcode == 0
    finally:
        child.kill()
    [failed] = [m for m in backs if isinstance(m, JobFailed)]
    error = unpack_error(failed.error)
    assert type(error) is UnknownLayer and error.suggestion == "mixed9"


def test_worker_states_that_hold_a_warm_model():
    assert {s for s in WorkerState if s.warm} == {WorkerState.idle, WorkerState.busy,
                                                  WorkerState.draining}


def lone_handle(image: bytes) -> JobHandle:
    return JobHandle(job("ann", image), position=lambda _: 0, cancel=lambda _: False)


@module_loop
@pytest.mark.parametrize("error, status", [
    (BadImage("the PNG data is truncated or corrupt"), JobStatus.refused),
    (UnknownLayer("mixed99", "mixed9", ["mixed9"]), JobStatus.refused),
    (WorkerCrashed("worker process killed by SIGKILL"), JobStatus.crashed),
    (DreamTimeout(3.0), JobStatus.timed_out),
    (Cancelled(), JobStatus.cancelled),
    (Interrupted(), JobStatus.interrupted),
])
async def test_a_handle_settles_once_with_the_status_of_its_error(jpeg, error, status):
    handle = lone_handle(jpeg)
    assert not await handle.wait(0) and not handle.done() and handle.status is JobStatus.queued
    assert handle.settle(error=error) is status
    assert handle.status is status and handle.done() and await handle.wait(0)
    with pytest.raises(type(error)):
        await handle.result()
    with pytest.raises(RuntimeError):
        handle.settle(error=Cancelled())


@module_loop
async def test_a_handle_reports_progress_and_settles_done(jpeg):
    handle = lone_handle(jpeg)
    seen = []
    handle.on_progress(lambda p: 1 / 0)  # a broken callback is logged, the others still run
    handle.on_progress(seen.append)
    handle.mark_running()
    progress = Progress(octave=1, octaves=1, step=1, steps=3, done=0.3, eta_s=1.0, loss=2.0)
    handle.report(progress)
    assert handle.status is JobStatus.running and handle.started_at is not None
    assert seen == [progress] and handle.progress == progress
    with pytest.raises(ValueError):
        handle.settle()
    result = DreamResult(image=np.zeros((2, 2, 3), np.uint8), params=QUICK)
    assert handle.settle(result=result) is JobStatus.done
    assert await handle.result() is result


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
        assert handle.status is JobStatus.interrupted
    assert handles[0].status is JobStatus.cancelled
    assert pool.stats().outcomes == {"cancelled": 1, "interrupted": 3}
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
    stats = pool.stats()
    assert (stats.idle, stats.alive, stats.busy) == (1, 1, 0) and stats.settled


@pytest.mark.slow
@module_loop
@pytest.mark.parametrize("image, params, error", [
    (b"\x89PNG\r\n\x1a\nnot really", QUICK, BadImage),
    (None, QUICK.replace(steps=0), BadParam),
    (None, QUICK.replace(layers=(LayerTerm("mixed99"),)), UnknownLayer),
])
async def test_engine_errors_reach_the_caller_as_their_types(pool, jpeg, image, params, error):
    refused = pool.stats().outcomes.get("refused", 0)
    handle = pool.submit(job("ann", image or jpeg, params))
    with pytest.raises(error):
        await handle.result()
    assert handle.status is JobStatus.refused
    assert pool.stats().outcomes["refused"] == refused + 1


@pytest.mark.slow
@module_loop
async def test_a_bug_in_a_job_is_reported_and_the_worker_stays_warm(pool, jpeg):
    restarts = pool.stats().restarts
    handle = pool.submit(job("ann", "not bytes"))  # a caller's bug: decode() raises TypeError
    with pytest.raises(WorkerCrashed) as err:
        await handle.result()
    assert handle.status is JobStatus.crashed
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


@module_loop
async def test_the_pool_orders_jobs_by_their_estimated_work(jpeg):
    pool = DreamPool(workers=1, max_queue=10, per_user=5)  # never started: jobs only wait
    big = [pool.submit(dataclasses.replace(job("ann", jpeg), work=12.0)) for _ in range(2)]
    small = [pool.submit(dataclasses.replace(job("bob", jpeg), work=2.0)) for _ in range(4)]

    assert [h.position for h in big + small] == [1, 6, 2, 3, 4, 5]
    assert [pool.work_ahead(h.job_id) for h in (big[0], small[0], small[3], big[1])] == [0.0, 12.0, 18.0, 20.0]
    await pool.close(grace=0)


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
    [pid] = worker_pids()
    os.kill(pid, signal.SIGSTOP)  # still mid-dream when the cancel comes, however fast the machine
    assert pool.stats().busy == 1 and pool.stats().idle == 0
    assert slow.cancel()
    stats = pool.stats()  # the worker is still stopping the dream: warm, but not idle yet
    assert (stats.busy, stats.idle, stats.alive) == (0, 0, 1) and not stats.settled
    os.kill(pid, signal.SIGCONT)
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
    assert "SIGKILL" in err.value.reason and slow.status is JobStatus.crashed
    result = await pool.submit(job("bob", jpeg)).result()
    assert result.image.shape == (64, 96, 3)
    assert pool.stats().restarts == restarts + 1 and worker_pids() != [pid]


@pytest.mark.slow
@module_loop
async def test_timeout_fails_the_job_and_frees_the_worker(pool, jpeg, monkeypatch):
    restarts = pool.stats().restarts
    monkeypatch.setattr(pool, "job_timeout", 3.0)
    slow = pool.submit(job("ann", jpeg, SLOW))
    taken = asyncio.Event()
    slow.on_running(taken.set)  # the timeout counts from here: no wait for a step that may come late
    await taken.wait()
    [pid] = worker_pids()
    os.kill(pid, signal.SIGSTOP)  # the dream outlasts the timeout however fast the machine
    try:
        with pytest.raises(DreamTimeout) as err:
            await slow.result()
    finally:
        os.kill(pid, signal.SIGCONT)  # it sees the pool's cancel at its next step
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
        assert handle.status is JobStatus.interrupted
    stats = pool.stats()
    assert stats.alive == stats.idle == 0 and set(worker_pids()) <= already


def rogue_worker(conn, weights: str, gpu: str | None, log_level: int) -> None:
    """A stand-in for `run_worker` that answers a job with an old-style tuple message."""
    conn.send(Ready())
    while True:
        match conn.recv():
            case RunJob(job=job):
                conn.send(JobProgress(job.job_id, Progress(1, 1, 1, 3, 0.3, None, 1.0)))
                conn.send(("done", job.job_id, None))
            case Stop():
                return


@module_loop
async def test_a_worker_that_breaks_the_protocol_is_killed_and_its_job_crashes(jpeg, monkeypatch):
    monkeypatch.setattr(process, "run_worker", rogue_worker)  # spawn finds it in this module
    pool = DreamPool(workers=1, job_timeout=30, cancel_grace=10)
    await pool.start()
    try:
        handle = pool.submit(job("ann", jpeg))
        with pytest.raises(WorkerCrashed) as err:
            await handle.result()
        assert handle.status is JobStatus.crashed
        assert err.value.reason == f"worker process killed: {BROKE_PROTOCOL}"
        assert handle.progress is not None, "the protocol's messages before it were taken"
        assert pool.stats().restarts == 1
    finally:
        await pool.close(grace=0)
    assert pool.stats().outcomes == {"crashed": 1}


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


# -- animations and dreams from noise (the workers' `dreaming.pool.execute`) --

ZOOM = QUICK.replace(frames=3, zoom=1.1, frame_octaves=1, frame_steps=1)


@pytest.mark.slow
@module_loop
async def test_an_animation_comes_back_encoded_not_as_raw_frames(pool, jpeg):
    handle = pool.submit(replace(job("ann", jpeg, ZOOM), animation_format="webp"))
    result = await handle.result()

    assert result.frames == (), "raw frames must not cross the pipe"
    movie = result.animation
    assert movie.fmt == "webp" and movie.frames == 3 and movie.lowered == ()
    played = Image.open(io.BytesIO(movie.data))
    assert played.format == "WEBP" and played.n_frames == 3 and played.size == (96, 64)
    assert result.params.frames == 3 and result.image.shape == (64, 96, 3)  # the first frame, for Compare


@pytest.mark.slow
@module_loop
async def test_an_animation_comes_back_as_the_mp4_its_job_asks_for(pool, jpeg):
    result = await pool.submit(replace(job("ann", jpeg, ZOOM), animation_format="mp4")).result()

    assert result.animation.fmt == "mp4" and result.animation.data[4:8] == b"ftyp"  # an MP4 container


@pytest.mark.slow
@module_loop
async def test_an_animation_over_its_upload_limit_is_lowered_in_the_worker(pool, jpeg):
    full = await pool.submit(job("ann", jpeg, ZOOM)).result()
    limit = len(full.animation.data) * 2 // 3  # the same dream (same seed) cannot fit as it is
    result = await pool.submit(replace(job("ann", jpeg, ZOOM), upload_limit=limit)).result()

    assert len(result.animation.data) <= limit
    assert [low.name for low in result.animation.lowered][:1] in (["quality"], ["frames"])


@pytest.mark.slow
@module_loop
async def test_a_dream_from_noise_needs_no_image_and_its_seed_makes_it_again(pool):
    params = QUICK.replace(layers=(LayerTerm("mixed4", channel=97),), max_side=128)
    noise = DreamJob(job_id="n1", user_id="ann", image=b"", params=params, noise=(80, 120))
    first = await pool.submit(noise).result()
    again = await pool.submit(replace(noise, job_id="n2")).result()

    assert first.image.shape == (80, 120, 3) and first.params.seed == 7
    assert np.array_equal(first.image, again.image)


def test_a_jobs_timeout_grows_with_its_work():
    assert DreamJob("a", "u", b"", QUICK).timeout(300) == 300
    assert DreamJob("a", "u", b"", ZOOM, timeout_scale=4.5).timeout(300) == 1350
    assert DreamJob("a", "u", b"", QUICK, timeout_scale=0.2).timeout(300) == 300  # never under one dream's


@pytest.mark.slow
@module_loop
async def test_the_pool_times_an_animation_out_by_its_scaled_timeout(pool, jpeg, monkeypatch):
    monkeypatch.setattr(pool, "job_timeout", 1.5)
    slow = pool.submit(replace(job("ann", jpeg, SLOW), timeout_scale=2.0))
    taken = asyncio.Event()
    slow.on_running(taken.set)
    await taken.wait()
    [pid] = worker_pids()
    os.kill(pid, signal.SIGSTOP)  # frozen: only the pool's timer can end it
    try:
        with pytest.raises(DreamTimeout) as err:
            await slow.result()
    finally:
        os.kill(pid, signal.SIGCONT)
    assert err.value.seconds == 3.0
    monkeypatch.undo()
    await pool.submit(job("bob", jpeg)).result()
