"""The playground without a browser: the web client's API and live feed, its guards, the launcher.

The web client (`discordlocal.web`) is tested against a small discord.py bot on the local
server, so what the page is sent is what a real client made happen. The page itself, with
the real Dreambot, is tested in a browser in test_playground_browser.py.
"""
from __future__ import annotations

import asyncio
import re
import signal

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from bot.config import load_config
from bot.playground.__main__ import main
from bot.playground.launcher import is_loopback, playground_config
from bot.playground.world import create_world
from discordlocal.web import WebClient
from discordlocal.web.app import STATIC
from discordlocal.web.edges import ACTION_HEADER
from tests.botkit.browser import PlaygroundProcess
from tests.botkit.files import cat_jpeg
from tests.test_architecture import GRAPH, in_package

pytestmark = pytest.mark.timeout(60)
#: The async tests share the module's loop with the `fake` and `start_client` fixtures.
on_module_loop = pytest.mark.asyncio(loop_scope="module")

ACT = {ACTION_HEADER: "1"}
MAX_UPLOAD = 64 * 1024


class PongBot(commands.Bot):
    """Replies "pong" to "ping" and edits it to "pong!"; `/secret` answers only its caller."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents)

    async def setup_hook(self) -> None:
        self.tree.add_command(secret)
        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        if message.content == "ping":
            reply = await message.reply("pong")
            await reply.edit(content="pong!")


@app_commands.command()
async def secret(interaction: discord.Interaction, word: str) -> None:
    """Whisper a word back."""
    await interaction.response.send_message(f"only for you: {word}", ephemeral=True)


@pytest_asyncio.fixture(loop_scope="module")
async def web(fake, start_client):
    world = create_world(fake)
    await start_client(PongBot())
    client = WebClient(fake, world.guild_id, people=world.people, max_upload=MAX_UPLOAD, title="Test playground")
    await client.start("127.0.0.1", 0)
    async with aiohttp.ClientSession(base_url=client.url) as session:
        yield client, world, session
    await client.stop()


async def _event(ws, predicate, timeout: float = 15.0) -> dict:
    """The next event from the page's feed for which `predicate(event)` holds."""
    async with asyncio.timeout(timeout):
        while True:
            event = await ws.receive_json()
            if predicate(event):
                return event


def _multipart(fields: dict) -> aiohttp.FormData:
    """What the page sends: a browser's FormData is always multipart."""
    return aiohttp.FormData(fields, default_to_multipart=True)


def _message(text: str):
    return lambda e: e["t"] == "message" and e["d"]["content"] == text


@on_module_loop
async def test_the_feed_sends_a_snapshot_then_messages_replies_and_edits(web):
    client, world, session = web
    general = str(world.channel_ids[0])
    async with session.ws_connect("/api/events") as ws:
        snapshot = (await ws.receive_json())["d"]
        assert snapshot["bot"]["online"] and [c["name"] for c in snapshot["commands"]] == ["secret"]
        assert [c["name"] for c in snapshot["guild"]["channels"]] == ["general", "art"]
        assert [(p["name"], p["role"]) for p in snapshot["guild"]["people"]] == [("alice", "member"),
                                                                               ("mod", "moderator")]
        form = aiohttp.FormData({"channel_id": general, "user_id": str(world.member_id), "content": "ping"})
        form.add_field("file", cat_jpeg(), filename="cat.jpg", content_type="image/jpeg")
        async with session.post("/api/messages", data=form, headers=ACT) as response:
            assert response.status == 200, await response.text()
            ping_id = (await response.json())["id"]
        ping = (await _event(ws, _message("ping")))["d"]
        assert ping["id"] == ping_id and ping["author"]["name"] == "alice"
        [photo] = ping["attachments"]
        assert photo["image"] and (photo["width"], photo["height"]) == (451, 300)
        async with session.get(photo["url"]) as response:
            assert await response.read() == cat_jpeg() and response.content_type == "image/jpeg"
        async with session.get(photo["download_url"]) as response:
            assert response.headers["Content-Disposition"].startswith("attachment")
        pong = (await _event(ws, _message("pong")))["d"]
        assert pong["author"]["bot"] and pong["reference"]["id"] == ping_id and not pong["edited"]
        edited = (await _event(ws, _message("pong!")))["d"]
        assert edited["id"] == pong["id"] and edited["edited"]


@on_module_loop
async def test_a_slash_command_from_the_page_and_its_ephemeral_answer(web):
    client, world, session = web
    async with session.ws_connect("/api/events") as ws:
        await ws.receive_json()
        form = aiohttp.FormData({"channel_id": str(world.channel_ids[1]), "user_id": str(world.member_id),
                                 "name": "secret", "options": '{"word": "psst"}'}, default_to_multipart=True)
        async with session.post("/api/commands", data=form, headers=ACT) as response:
            assert response.status == 200, await response.text()
        answer = (await _event(ws, _message("only for you: psst")))["d"]
    assert answer["ephemeral"] and answer["visible_to"] == str(world.member_id)
    assert answer["interaction"] == {"user": "alice", "name": "secret"}


@on_module_loop
async def test_the_page_refuses_what_it_must(web, fake):
    client, world, session = web
    fields = {"channel_id": str(world.channel_ids[0]), "user_id": str(world.member_id), "content": "hi"}
    # Another site's form can't post: it can't set the header.
    async with session.post("/api/messages", data=_multipart(fields)) as response:
        assert response.status == 403 and ACTION_HEADER in (await response.json())["error"]
    # Only the people of the page, never the bot or the app's owner.
    for user_id in (fake.bot_user.id, fake.state.owner.id):
        async with session.post("/api/messages", data=_multipart({**fields, "user_id": str(user_id)}),
                                headers=ACT) as response:
            assert response.status == 403
    # Uploads are capped as the bot caps its downloads, with one line saying so.
    form = aiohttp.FormData(fields)
    form.add_field("file", b"\xff" * (MAX_UPLOAD + 1), filename="big.jpg", content_type="image/jpeg")
    async with session.post("/api/messages", data=form, headers=ACT) as response:
        error = (await response.json())["error"]
        assert response.status == 413 and error == "big.jpg is larger than the 0.0625 MB upload limit."
    # Another site can't read the feed.
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with session.ws_connect("/api/events", headers={"Origin": "http://evil.example"}):
            pass
    assert refused.value.status == 403


@on_module_loop
async def test_files_that_are_not_images_are_only_downloads(web, fake):
    client, world, session = web
    form = aiohttp.FormData({"channel_id": str(world.channel_ids[0]), "user_id": str(world.member_id)})
    form.add_field("file", b"<script>alert(1)</script>", filename="x.html", content_type="text/html")
    async with session.post("/api/messages", data=form, headers=ACT) as response:
        message_id = int((await response.json())["id"])
    [stored] = fake.state.messages[message_id].files
    async with session.get(f"/files/{stored.id}/x.html") as response:
        assert response.content_type == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@on_module_loop
async def test_the_page_loads_nothing_from_elsewhere(web):
    client, world, session = web
    async with session.get("/") as response:
        html = await response.text()
        policy = response.headers["Content-Security-Policy"]
    assert "<title>Test playground</title>" in html
    assert "default-src 'none'" in policy and "script-src 'self'" in policy and "connect-src 'self'" in policy
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:)?//""", text), path.name
        assert "discord.com/" not in text and "cdn" not in text.lower(), path.name
        async with session.get(f"/static/{path.name}") as response:
            assert response.status == 200
    async with session.get("/static/..%2fapp.py") as response:
        assert response.status == 404


def test_the_bot_side_meets_discordlocal_only_in_the_playground():
    """A production bot never loads the local server: only `bot.playground` imports it."""
    importers = {m for m in in_package("bot") if any(n.split(".")[0] == "discordlocal" for n in GRAPH.edges[m])}
    assert importers == {"bot.playground.launcher", "bot.playground.world"}
    assert not any(m.startswith("discordlocal") for m in GRAPH.reachable("bot.app"))
    assert not any(m.startswith("bot.") for m in GRAPH.reachable("discordlocal.web"))


def test_the_config_points_the_real_bot_at_the_local_server(tmp_path):
    env = {"DISCORD_API_BASE": "https://discord.com/api/v10", "DISCORD_TOKEN": "real-token"}
    base = load_config(None, env={"DREAMBOT_POOL_BACKEND": "redis", "DREAMBOT_REDIS_URL": "redis://elsewhere"})
    config = playground_config(base, api_base="http://127.0.0.1:1/api/v10", token="local", data_dir=tmp_path)
    assert config.discord.api_base == "http://127.0.0.1:1/api/v10" and config.discord.token == "local"
    assert config.discord.dev_guild is None and config.discord.sync_commands
    assert config.pool.backend == "local" and config.pool.workers == 1 and config.http.port is None
    assert config.store.path == str(tmp_path / "dreambot.db")
    assert config.limits == base.limits and config.dream == base.dream
    assert load_config(None, env=env).discord.api_base != config.discord.api_base  # env ignored by design


def test_a_public_host_is_warned_about_and_errors_are_one_line(tmp_path, capsys):
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert main(["--host", "0.0.0.0", "--config", str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert "WARNING: serving on 0.0.0.0" in err and "no login" in err
    assert err.strip().splitlines()[-1].startswith("playground: error: config file not found")


def test_sigterm_while_the_model_loads_stops_it_cleanly():
    """The URL is printed before the bot is up; stopping then leaves nothing behind and exits 0."""
    process = PlaygroundProcess()
    process.start()
    process.proc.send_signal(signal.SIGTERM)
    assert process.proc.wait(60) == 0, process.text
    process.stop()
    assert process.text.strip().splitlines()[-1] == "playground: stopped", process.text
