"""`python -m bot` as operators run it: in a subprocess, against the fake Discord.

Startup failures exit 2 with one line; the token never shows in output, even at DEBUG;
SIGTERM lets the running dream finish and tells queued ones; the bot never loads TensorFlow.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys

from dataclasses import dataclass

import aiohttp
import pytest

from bench.dreambot import World
from discordlocal import FakeDiscord
from tests.botkit.files import REPO, cat, coffee
from tests.botkit.moderators import job_statuses

pytestmark = pytest.mark.timeout(180)

SECRET = "MTIz.s3cret-bot-token.do-not-log"


def bot_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DISCORD_API_BASE")}
    return {**env, **extra}


def run_bot(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)


def store_config(tmp_path) -> str:
    """A config whose database lives in the test's folder, not in the repository's data/."""
    config = tmp_path / "config.yaml"
    config.write_text(f"store:\n  path: {tmp_path / 'dreambot.db'}\n")
    return str(config)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_one_line_error(done: subprocess.CompletedProcess, message: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("bot: error: "), done.stderr
    assert message in done.stderr
    assert SECRET not in done.stdout + done.stderr


def test_no_token_exits_2_with_one_line():
    assert_one_line_error(run_bot(env=bot_env()), "no Discord token: set DISCORD_TOKEN")


def test_bad_config_exits_2_with_one_line(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("pool:\n  max_queu: 3\n")
    done = run_bot("--config", str(config), env=bot_env(DISCORD_TOKEN=SECRET))
    assert_one_line_error(done, "unknown config key 'pool.max_queu'; did you mean 'max_queue'?")


def test_default_preset_that_does_not_exist_exits_2(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("dream:\n  default_preset: clasic\n")
    done = run_bot("--config", str(config), "--log-level", "warning", env=bot_env(DISCORD_TOKEN=SECRET))
    assert_one_line_error(done, "'dream.default_preset' names no preset: 'clasic'")


@pytest.mark.parametrize("level", ["warning", "debug"])
def test_unreachable_api_exits_2_without_traceback_or_token(level, tmp_path):
    env = bot_env(DISCORD_TOKEN=SECRET, DISCORD_API_BASE=f"http://127.0.0.1:{closed_port()}/api/v10")
    done = run_bot("--config", store_config(tmp_path), "--log-level", level, env=env)

    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1].startswith("bot: error: cannot reach the Discord API")
    assert SECRET not in done.stdout + done.stderr
    if level == "warning":
        assert done.stderr.count("\n") == 1, done.stderr


async def test_wrong_token_exits_2(tmp_path):
    async with FakeDiscord(token="the-right-token") as fake:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", store_config(tmp_path), "--log-level", "warning", cwd=REPO,
            env=bot_env(DISCORD_TOKEN=SECRET, DISCORD_API_BASE=fake.api_base),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)

    assert proc.returncode == 2 and err.decode().strip() == "bot: error: Discord refused the token: check DISCORD_TOKEN"
    assert SECRET.encode() not in out + err


@pytest.mark.slow
async def test_full_run_sigterm_keeps_queued_jobs_for_the_next_start_and_never_logs_the_token(tmp_path):
    """Run, SIGTERM with one dream running and one queued, run again: the running one is
    delivered before exiting, the queued one is saved and delivered once by the next run.
    Both runs serve /healthz and /metrics, and log the job id on the job's lines."""
    db = tmp_path / "dreambot.db"
    async with FakeDiscord(token=SECRET) as fake:
        world = World.create(fake)
        first_run = await _start(tmp_path, fake, "first.log")
        try:
            await fake.wait_for_gateway(identifies=1, timeout=120)
            await _until_healthy(first_run.port)
            first = await world.say(world.alice, "!dream size=96 octaves=1 steps=2", cat())
            assert (await world.result_of(first)).files
            await _until_metric(first_run.port, 'dreambot_jobs_total{outcome="done"} 1.0')

            running = await world.say(world.alice, "!dream size=400 octaves=2 steps=30 layer=mixed3", cat())
            await world.edited(await world.status_of(running), lambda m: "octave" in m.content)
            waiting = await world.say(world.bob, "!dream size=96 octaves=1 steps=2", coffee())
            waiting_status = await world.status_of(waiting)
            assert "#1 in line" in waiting_status.content
            first_run.proc.send_signal(signal.SIGTERM)

            await world.edited(waiting_status, lambda m: "will continue when the bot is back" in m.content)
            late = await world.say(world.mod, "!dream size=96 octaves=1 steps=2", cat())
            refused = await world.reply_to(late)  # shutting down: no new jobs
            assert "restarting" in refused.content and not refused.files
            assert (await world.result_of(running)).files
            assert await asyncio.wait_for(first_run.proc.wait(), 60) == 0
            assert "paused" in job_statuses(db).values(), "the waiting dream stays in the database"
        finally:
            await _stop(first_run.proc)

        second_run = await _start(tmp_path, fake, "second.log")
        try:
            await fake.wait_for_gateway(identifies=2, timeout=120)
            assert (await world.result_of(waiting)).files
            await _until_healthy(second_run.port)
            second_run.proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second_run.proc.wait(), 60) == 0
        finally:
            await _stop(second_run.proc)
        delivered = [m for m in fake.messages_in(world.channel_id)
                     if m.author_id == fake.bot_user.id and m.files and m.reference_id == waiting.id]
        failures = [m.content for m in fake.messages_in(world.channel_id)
                    if m.author_id == fake.bot_user.id and "⚠️" in m.content and m.reference_id != late.id]

    assert len(delivered) == 1 and not failures, failures
    assert set(job_statuses(db).values()) == {"done"}
    log = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
    assert "discord.gateway" in log and "DEBUG" in log, "the run logged at DEBUG, so the check means something"
    assert SECRET not in log and SECRET.split(".")[1] not in log
    delivered_lines = [line for line in log.splitlines() if ": delivered " in line]
    assert len(delivered_lines) == 3 and all(" job=-" not in line for line in delivered_lines)
    assert all(re.search(r"job=([0-9a-f]{12}): job \1: delivered", line) for line in delivered_lines)


@dataclass
class _Run:
    proc: asyncio.subprocess.Process
    port: int


async def _start(tmp_path, fake: FakeDiscord, log_name: str) -> _Run:
    port = closed_port()
    env = bot_env(DISCORD_TOKEN=SECRET, DISCORD_API_BASE=fake.api_base, DREAMBOT_HTTP_PORT=str(port))
    with (tmp_path / log_name).open("wb") as out:  # a file, not a pipe: a full pipe would stall the bot
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", store_config(tmp_path), "--log-level", "debug",
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    return _Run(proc, port)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


async def _get(port: int, path: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return await response.text()


async def _until_metric(port: int, line: str, timeout: float = 15) -> None:
    """/metrics shows `line` (the bot counts a job just after posting its answer)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while line not in (text := await _get(port, "/metrics")):
        assert loop.time() < deadline, f"{line!r} not in /metrics:\n{text}"
        await asyncio.sleep(0.2)


async def _until_healthy(port: int, timeout: float = 120) -> None:
    """/healthz answers 200 once the gateway is connected and a worker is alive."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200 and (await response.json())["gateway_connected"]:
                        return
            except aiohttp.ClientError:
                pass
            assert loop.time() < deadline, "the bot never became healthy"
            await asyncio.sleep(0.5)


def test_the_bot_process_never_imports_tensorflow():
    code = ("import sys, bot.app, bot.__main__, bot.dream.cog, bot.dream.info, bot.moderation.cog, bot.dream.views, bot.dream.runner; "
            "heavy = sorted(m for m in ('tensorflow', 'keras', 'dreaming.engine', 'dreaming.model') "
            "if m in sys.modules); assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


async def test_a_taken_health_port_is_named_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        async with FakeDiscord(token=SECRET) as fake:
            env = bot_env(DISCORD_TOKEN=SECRET, DISCORD_API_BASE=fake.api_base,
                          DREAMBOT_HTTP_PORT=str(taken.getsockname()[1]))
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "--config", store_config(tmp_path), "--log-level", "warning",
                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2, err.decode()
    last = err.decode().splitlines()[-1]
    assert last.startswith("bot: error: config key 'http.port'") and "Traceback" not in err.decode(), err.decode()


# -- the first gateway connection fails -------------------------------------------------------

@pytest.mark.parametrize("refusal", [{"status": 503}, {"close_code": 1011}], ids=["upgrade-503", "closed-before-hello"])
async def test_a_gateway_that_refuses_the_first_connections_is_tried_again(tmp_path, refusal):
    """A gateway restarting (5xx on the upgrade, or closing before HELLO) is retried with
    backoff: the bot connects once it answers, and no traceback is logged."""
    async with FakeDiscord(token=SECRET) as fake:
        World.create(fake)
        fake.refuse_gateway(2, **refusal)
        run = await _start(tmp_path, fake, "bot.log")
        try:
            await fake.wait_for_gateway(identifies=1, timeout=150)
            assert fake.gateway.refused == 2
            run.proc.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(run.proc.wait(), 60) == 0
        finally:
            await _stop(run.proc)
    log = (tmp_path / "bot.log").read_text()
    assert log.count("the Discord gateway is not answering") == 2, log[-3000:]
    assert "Traceback" not in log and "AttributeError" not in log, log[-3000:]


@pytest.mark.parametrize("refusal, reason", [({"status": 404}, "HTTP 404"),
                                             ({"close_code": 4004}, "closed with code 4004 before HELLO")],
                         ids=["upgrade-404", "fatal-close"])
async def test_a_gateway_that_cannot_be_right_exits_2_with_one_line(tmp_path, refusal, reason):
    async with FakeDiscord(token=SECRET) as fake:
        fake.refuse_gateway(1, **refusal)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", store_config(tmp_path), "--log-level", "warning", cwd=REPO,
            env=bot_env(DISCORD_TOKEN=SECRET, DISCORD_API_BASE=fake.api_base),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        gateway = fake.api_base.replace("http", "ws", 1).removesuffix("/api/v10") + "/"
        assert fake.gateway.refused == 1 and fake.gateway.identifies == 0
    assert_one_line_error(subprocess.CompletedProcess([], proc.returncode, out.decode(), err.decode()),
                          f"bot: error: the Discord gateway at {gateway} refused the connection ({reason}): "
                          "check discord.api_base")


async def test_a_gateway_that_stays_down_ends_in_one_reason_after_the_tries(monkeypatch):
    """In process, with the pauses shortened: every try is refused (503), so after
    `GATEWAY_ATTEMPTS` tries the run ends with `GatewayUnavailable`, which `python -m bot`
    prints as its one line."""
    import discord

    from bot import gateway
    from bot.api_base import reset_api_base, use_api_base
    monkeypatch.setattr(gateway, "GATEWAY_ATTEMPTS", 3)
    monkeypatch.setattr(gateway, "GATEWAY_FIRST_DELAY", 0.01)
    async with FakeDiscord() as fake:
        fake.refuse_gateway(10, status=503)
        use_api_base(fake.api_base)
        client = discord.Client(intents=discord.Intents.none())
        try:
            await client.login("token")
            with pytest.raises(gateway.GatewayUnavailable) as excinfo:
                await gateway.wait_for_gateway(client)
        finally:
            await client.close()
            reset_api_base()
        assert fake.gateway.refused == 3
    assert str(excinfo.value).startswith("cannot connect to the Discord gateway at ws://127.0.0.1:")
    assert str(excinfo.value).endswith("(HTTP 503; 3 tries): check discord.api_base and the network")
