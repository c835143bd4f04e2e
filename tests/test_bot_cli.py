"""`python -m bot` as operators run it: in a subprocess, against the fake Discord.

Startup failures exit 2 with one line; the token never shows in output, even at DEBUG;
SIGTERM lets the running dream finish and tells queued ones; the bot never loads TensorFlow.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys

import pytest

from tests.botkit import World
from tests.botkit.files import REPO, cat, coffee
from tests.fakediscord import FakeDiscord

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
async def test_full_run_dreams_shuts_down_gracefully_and_never_logs_the_token(tmp_path):
    async with FakeDiscord(token=SECRET) as fake:
        world = World.create(fake)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--config", store_config(tmp_path), "--log-level", "debug", cwd=REPO,
            env=bot_env(DISCORD_TOKEN=SECRET, DISCORD_API_BASE=fake.api_base),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = asyncio.ensure_future(proc.stdout.read())
        try:
            await fake.wait_for_gateway(identifies=1, timeout=120)
            first = await world.say(world.alice, "!dream size=96 octaves=1 steps=2", cat())
            assert (await world.result_of(first)).files

            # SIGTERM while one dream runs and another waits: the first is delivered, the second told.
            running = await world.say(world.alice, "!dream size=400 octaves=2 steps=30 layer=mixed3", cat())
            await world.edited(await world.status_of(running), lambda m: "octave" in m.content)
            waiting = await world.say(world.bob, "!dream size=96 octaves=1 steps=2", coffee())
            waiting_status = await world.status_of(waiting)
            assert "#1 in line" in waiting_status.content
            proc.send_signal(signal.SIGTERM)

            told = await world.edited(waiting_status, lambda m: "restarting" in m.content)
            assert "Send it again in a minute" in told.content
            assert (await world.result_of(running)).files
            assert await asyncio.wait_for(proc.wait(), 60) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        log = (await output).decode()

    assert "discord.gateway" in log and "DEBUG" in log, "the run logged at DEBUG, so the check means something"
    assert SECRET not in log and SECRET.split(".")[1] not in log


def test_the_bot_process_never_imports_tensorflow():
    code = ("import sys, bot.app, bot.__main__, bot.cogs.dream, bot.cogs.info, bot.views, bot.runner; "
            "heavy = sorted(m for m in ('tensorflow', 'keras', 'dreaming.engine', 'dreaming.model') "
            "if m in sys.modules); assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)
