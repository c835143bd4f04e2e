"""discordlocal, the Discord-compatible server, proven with the real, unmodified discord.py client.

A small commands.Bot (prefix command with a file reply, a slash command that defers and follows
up with a file, autocomplete, a button) runs against `FakeDiscord` through `use_api_base`
(the `start_client` fixture: discordlocal's `Clients`).
"""
from __future__ import annotations

import io
import json

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.api_base import discover_gateway, gateway_url_for, reset_api_base, use_api_base
from discordlocal import FakeDiscord

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(30)]

LAYERS = ["mixed3", "mixed4", "mixed5", "mixed7"]
PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2b8b8e30000000049454e44ae426082"
)


class PressView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Press", custom_id="press")
    async def press(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_message(f"pressed by {interaction.user.name}", ephemeral=True)


class EchoBot(commands.Bot):
    def __init__(self, *, message_content: bool = True) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(command_prefix="!", intents=intents)
        self.seen_contents: list[str] = []

    async def setup_hook(self) -> None:
        self.add_command(echo)
        self.add_command(buttons)
        self.tree.add_command(shout)
        self.tree.add_command(progress)
        self.tree.add_command(settings)
        self.tree.add_command(describe_message)
        self.tree.add_command(form)
        self.tree.add_command(where)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s pause before re-IDENTIFYing: that protects Discord's limits, not the fake's."""

    async def on_message(self, message: discord.Message) -> None:
        if message.author != self.user:
            self.seen_contents.append(message.content)
        await self.process_commands(message)


@commands.command()
async def echo(ctx: commands.Context) -> None:
    """Reply with the attached file's bytes, under a new name."""
    attachment = ctx.message.attachments[0]
    data = await attachment.read()
    await ctx.reply(f"got {attachment.filename} {attachment.width}x{attachment.height}",
                    file=discord.File(io.BytesIO(data), filename=f"echo-{attachment.filename}"))


@commands.command()
async def buttons(ctx: commands.Context) -> None:
    await ctx.send("press it", view=PressView())


@app_commands.command()
@app_commands.describe(text="What to shout", image="Any file", layer="A layer")
async def shout(interaction: discord.Interaction, text: str, image: discord.Attachment, layer: str = "mixed4") -> None:
    """Defer, then follow up with the text upper-cased and the file echoed."""
    await interaction.response.defer(thinking=True)
    data = await image.read()
    await interaction.followup.send(f"{text.upper()} {layer} limit={interaction.filesize_limit}",
                                    file=discord.File(io.BytesIO(data), filename="shout.bin"))


@app_commands.command()
async def progress(interaction: discord.Interaction) -> None:
    """Defer, edit the response as work goes on, end with a file attached."""
    await interaction.response.defer()
    await interaction.edit_original_response(content="50%")
    await interaction.edit_original_response(content="done", attachments=[discord.File(io.BytesIO(b"img"), "out.png")])


settings = app_commands.Group(name="settings", description="Server settings")


@settings.command(name="show")
async def settings_show(interaction: discord.Interaction, verbose: bool = False) -> None:
    """Say what the caller and the bot may do."""
    await interaction.response.send_message(
        f"manage={interaction.permissions.manage_guild} attach={interaction.app_permissions.attach_files} "
        f"verbose={verbose}")


@settings.command(name="where")
async def settings_where(interaction: discord.Interaction, channel: discord.TextChannel, role: discord.Role,
                         who: discord.Member) -> None:
    """Name the channel, role and member the options point at (resolved as Discord sends them)."""
    await interaction.response.send_message(f"{channel.name} {role.name} {who.name} {who.guild_permissions.value}")


@app_commands.context_menu(name="Describe message")
async def describe_message(interaction: discord.Interaction, message: discord.Message) -> None:
    """A message context menu: say what the target message holds."""
    await interaction.response.send_message(
        f"{message.author.name}: {message.content!r} files={[a.filename for a in message.attachments]}",
        ephemeral=True)


class NameForm(discord.ui.Modal, title="Your name"):
    first = discord.ui.TextInput(label="First name", custom_id="first", default="Ada")
    last = discord.ui.TextInput(label="Last name", custom_id="last", required=False)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        on = interaction.message.id if interaction.message else None
        await interaction.response.send_message(f"hello {self.first.value} {self.last.value} on={on}")


class FormView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Open", custom_id="open-form")
    async def open_form(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_modal(NameForm())


@app_commands.command()
async def form(interaction: discord.Interaction) -> None:
    """Post a button that opens a form."""
    await interaction.response.send_message("fill it in", view=FormView())


@app_commands.command()
async def where(interaction: discord.Interaction) -> None:
    """Say where the command ran and what the caller may do there."""
    channel = interaction.channel
    await interaction.response.send_message(
        f"{type(channel).__name__} parent={getattr(channel, 'parent_id', None)} "
        f"manage={interaction.permissions.manage_messages} attach={interaction.permissions.attach_files} "
        f"bot_attach={interaction.app_permissions.attach_files}")


@shout.autocomplete("layer")
async def layer_choices(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=name, value=name) for name in LAYERS if current in name]


@pytest.fixture
def echo_guild(fake: FakeDiscord):
    """One guild with a 1 MiB upload limit, a #general channel and a user, alice."""
    guild = fake.add_guild("Test Guild", filesize_limit=2**20)
    channel = fake.add_channel(guild.id, "general")
    alice = fake.add_user("alice", guilds=[guild.id])
    return guild, channel, alice


async def test_bot_connects_and_sees_the_guild(fake, start_client, echo_guild):
    guild, channel, _ = echo_guild
    bot = await start_client(EchoBot())
    assert bot.user.id == fake.bot_user.id
    seen = bot.get_guild(guild.id)
    assert seen is not None and seen.name == "Test Guild"
    assert seen.get_channel(channel.id).name == "general"
    assert seen.me is not None and bot.application_id == fake.application_id


async def test_prefix_command_round_trips_file_bytes(fake, start_client, echo_guild):
    _, channel, alice = echo_guild
    await start_client(EchoBot())
    sent = await fake.send_message(channel.id, alice.id, "!echo",
                                   attachments=[("dot.png", PNG_1x1, "image/png")])
    reply = await fake.wait_for_message(channel.id)
    assert reply.content == "got dot.png 1x1"
    assert [(f.filename, f.data) for f in reply.files] == [("echo-dot.png", PNG_1x1)]
    assert reply.files[0].content_type == "image/png" and reply.files[0].width == 1
    assert reply.reference_id == sent.id


async def test_slash_command_defers_then_follows_up_with_a_file(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    bot = await start_client(EchoBot())
    await bot.tree.sync()
    payload = b"\x00binary\xffdata" * 100
    rec = await fake.invoke_slash(guild.id, channel.id, alice.id, "shout", options={"text": "hello"},
                                  attachments={"image": ("blob.bin", payload, "application/octet-stream")})
    callback = await fake.wait_for_interaction_response(rec.id)
    assert callback["type"] == 5  # deferred channel message
    reply = await fake.wait_for_message(channel.id, interaction_id=rec.id)
    assert reply.content == f"HELLO mixed4 limit={2**20}"
    assert reply.files[0].data == payload
    assert reply.id == rec.original_message_id  # the follow-up filled in the "thinking..." message


async def test_deferred_response_edited_in_place(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    await start_client(EchoBot())
    rec = await fake.invoke_slash(guild.id, channel.id, alice.id, "progress")
    assert (await fake.wait_for_interaction_response(rec.id))["type"] == 5
    final = await fake.wait_for_edit(rec.original_message_id, lambda m: bool(m.files))
    assert (final.content, final.edits, [f.data for f in final.files]) == ("done", 2, [b"img"])
    assert [m.id for m in fake.messages_in(channel.id)] == [final.id]


async def test_late_acknowledgement_is_an_unknown_interaction(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    bot = await start_client(EchoBot())
    errors: list[Exception] = []

    @bot.tree.error
    async def record(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        errors.append(error)

    fake.ack_deadline = 0.0
    rec = await fake.invoke_slash(guild.id, channel.id, alice.id, "progress")
    await fake.wait_until(lambda: errors, what="the bot's app command error")
    assert isinstance(errors[0].__cause__, discord.NotFound) and errors[0].__cause__.code == 10062
    assert rec.callbacks == []


async def test_auto_sharded_bot_finds_the_gateway_through_gateway_bot(fake, start_client, echo_guild):
    guild, _, _ = echo_guild
    bot = await start_client(commands.AutoShardedBot(command_prefix="!", intents=discord.Intents.default()))
    assert bot.get_guild(guild.id) is not None and bot.shard_count == 1
    assert "GET /api/v10/gateway/bot" in fake.requests


async def test_tree_sync_reaches_the_server(fake, start_client, echo_guild):
    guild, _, _ = echo_guild
    bot = await start_client(EchoBot())
    synced = await bot.tree.sync()
    assert sorted(c.name for c in synced) == ["Describe message", "form", "progress", "settings", "shout",
                                              "where"] and fake.syncs == 1
    shout_command = next(c for c in fake.commands() if c["name"] == "shout")
    assert {o["name"]: o["type"] for o in shout_command["options"]} == {"text": 3, "image": 11, "layer": 3}
    bot.tree.copy_global_to(guild=discord.Object(guild.id))
    await bot.tree.sync(guild=discord.Object(guild.id))
    assert sorted(c["name"] for c in fake.commands(guild.id)) == ["Describe message", "form", "progress",
                                                                  "settings", "shout", "where"]
    assert {c.id for c in await bot.tree.fetch_commands()} == {int(c["id"]) for c in fake.commands()}


async def test_subcommand_sees_member_and_app_permissions(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    await (await start_client(EchoBot())).tree.sync()
    for user_id, expected in [(alice.id, "manage=False"), (guild.owner_id, "manage=True")]:
        rec = await fake.invoke_slash(guild.id, channel.id, user_id, "settings show", options={"verbose": True})
        reply = await fake.wait_for_message(channel.id, interaction_id=rec.id)
        assert reply.content == f"{expected} attach=True verbose=True"


async def test_channel_role_and_member_options_arrive_resolved(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    art = fake.add_channel(guild.id, "art")
    role = fake.add_role(guild.id, "Painters", 1 << 5)
    fake.add_member(guild.id, alice.id, [role.id])
    await (await start_client(EchoBot())).tree.sync()
    rec = await fake.invoke_slash(guild.id, channel.id, alice.id, "settings where",
                                  options={"channel": art.id, "role": role.id, "who": alice.id})
    reply = await fake.wait_for_message(channel.id, interaction_id=rec.id)
    assert reply.content == f"art Painters alice {guild.permissions_of(alice.id)}"
    options = rec.payload["data"]["options"][0]["options"]
    assert [o["type"] for o in options] == [7, 8, 6]
    assert set(rec.payload["data"]["resolved"]) == {"channels", "roles", "users", "members"}


async def test_watchers_hear_messages_commands_and_the_gateway(fake, start_client, echo_guild):
    """What `discordlocal.web` relies on to show edits as they happen."""
    guild, channel, alice = echo_guild
    events: list[tuple[str, object]] = []
    unsubscribe = fake.subscribe(lambda kind, subject: events.append((kind, subject)))
    bot = await start_client(EchoBot())
    await bot.tree.sync()
    rec = await fake.invoke_slash(guild.id, channel.id, alice.id, "progress")
    done = await fake.wait_for_message(channel.id, interaction_id=rec.id, predicate=lambda m: m.content == "done")
    await bot.http.delete_message(channel.id, done.id)
    unsubscribe()
    await fake.send_message(channel.id, alice.id, "unheard")
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "gateway" and "commands" in kinds
    seen = [(subject.content, subject.edits, subject.deleted) for kind, subject in events
            if kind == "message" and subject.id == done.id]
    # Objects are the live records, so read what each event meant from the count of edits.
    assert len(seen) == 4 and seen[-1] == ("done", 2, True)  # deferred, 50%, done, deleted
    assert not any(kind == "message" and subject.content == "unheard" for kind, subject in events)


async def test_autocomplete_returns_the_bots_choices(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    await (await start_client(EchoBot())).tree.sync()
    choices = await fake.autocomplete(guild.id, channel.id, alice.id, "shout",
                                      options={"text": "x", "layer": "ed4"}, focused="layer")
    assert choices == [{"name": "mixed4", "value": "mixed4"}]


async def test_button_click_dispatches_to_the_view(fake, start_client, echo_guild):
    _, channel, alice = echo_guild
    await start_client(EchoBot())
    await fake.send_message(channel.id, alice.id, "!buttons")
    with_button = await fake.wait_for_message(channel.id)
    rec = await fake.click_button(with_button.id, "press", alice.id)
    answer = await fake.wait_for_message(channel.id, interaction_id=rec.id)
    assert answer.content == "pressed by alice" and answer.ephemeral


async def test_oversize_upload_is_refused_with_40005(fake, start_client, echo_guild):
    _, channel, _ = echo_guild
    bot = await start_client(EchoBot())
    with pytest.raises(discord.HTTPException) as excinfo:
        await bot.get_channel(channel.id).send(file=discord.File(io.BytesIO(b"x" * (2**20 + 1)), "big.bin"))
    assert (excinfo.value.status, excinfo.value.code) == (413, 40005)
    assert fake.messages_in(channel.id) == []
    await bot.get_channel(channel.id).send(file=discord.File(io.BytesIO(b"x" * 2**20), "limit.bin"))
    assert (await fake.wait_for_message(channel.id)).files[0].size == 2**20


async def test_rate_limit_is_retried_by_the_client(fake, start_client, echo_guild):
    _, channel, _ = echo_guild
    bot = await start_client(EchoBot())
    fault = fake.fail_next(f"POST /api/v10/channels/{channel.id}/messages", 429, retry_after=0.2)
    message = await bot.get_channel(channel.id).send("after the limit")
    assert len(fault.hits) == 1
    assert [m.content for m in fake.messages_in(channel.id)] == ["after the limit"]
    assert message.id == fake.messages_in(channel.id)[0].id


async def test_server_error_surfaces_without_retry_storm(fake, start_client, echo_guild):
    _, channel, _ = echo_guild
    bot = await start_client(EchoBot())
    fake.fail_next("/messages", 503)
    with pytest.raises(discord.DiscordServerError):
        await bot.get_channel(channel.id).send("lost")


async def test_gateway_drop_resumes_and_replays_missed_events(fake, start_client, echo_guild):
    _, channel, alice = echo_guild
    await start_client(EchoBot())
    await fake.drop_gateway()
    # Sent while the bot is away: the RESUME replays it.
    await fake.send_message(channel.id, alice.id, "!echo", attachments=[("a.txt", b"abc", "text/plain")])
    await fake.wait_for_gateway(resumes=1)
    assert (await fake.wait_for_message(channel.id)).files[0].data == b"abc"
    assert fake.gateway.connect_paths == ["/", "/resume"]  # READY's resume_gateway_url
    await fake.send_message(channel.id, alice.id, "!echo", attachments=[("b.txt", b"def", "text/plain")])
    assert (await fake.wait_for_message(channel.id)).files[0].data == b"def"


async def test_gateway_drop_without_session_reidentifies(fake, start_client, echo_guild):
    _, channel, alice = echo_guild
    bot = await start_client(EchoBot())
    await fake.drop_gateway(resumable=False)
    await fake.wait_for_gateway(identifies=2)
    assert fake.gateway.resumes == 0
    await fake.send_message(channel.id, alice.id, "!echo", attachments=[("b.txt", b"def", "text/plain")])
    assert (await fake.wait_for_message(channel.id)).files[0].data == b"def"
    assert bot.get_channel(channel.id) is not None


async def test_message_content_needs_the_intent(fake, start_client, echo_guild):
    _, channel, alice = echo_guild
    bot = await start_client(EchoBot(message_content=False))
    await fake.send_message(channel.id, alice.id, "secret")
    await fake.send_message(channel.id, alice.id, f"<@{bot.user.id}> hi")
    await fake.wait_until(lambda: len(bot.seen_contents) == 2)
    assert bot.seen_contents == ["", f"<@{bot.user.id}> hi"]


async def test_discords_message_rules_are_enforced(fake, start_client, echo_guild):
    _, channel, _ = echo_guild
    target = (await start_client(EchoBot())).get_channel(channel.id)
    with pytest.raises(discord.HTTPException) as too_long:
        await target.send("x" * 2001)
    with pytest.raises(discord.HTTPException) as bad_reply:
        await target.send("hi", reference=discord.MessageReference(message_id=12345, channel_id=channel.id))
    assert (too_long.value.code, bad_reply.value.code) == (50035, 50035)
    assert fake.messages_in(channel.id) == []


async def test_wrong_token_is_refused():
    async with FakeDiscord(token="right") as fake:
        use_api_base(fake.api_base)
        bot = EchoBot()
        try:
            with pytest.raises(discord.LoginFailure):
                await bot.login("wrong")
        finally:
            await bot.close()
            reset_api_base()


async def test_json_content_type_has_no_charset_and_unknown_routes_are_404(fake):
    async with aiohttp.ClientSession() as session:
        async with session.get(fake.api_base + "/gateway") as response:
            assert response.headers["Content-Type"] == "application/json"
            assert (await response.json())["url"] == str(gateway_url_for(fake.api_base))
        async with session.get(fake.api_base + "/no/such/route") as response:
            assert response.status == 404 and "no route" in json.loads(await response.text())["message"]
    assert fake.unknown_requests == ["GET /api/v10/no/such/route"]
    fake.unknown_requests.clear()  # expected here; the fixture fails tests that leave any


async def test_use_api_base_points_discord_py_at_the_server(fake):
    url = await discover_gateway(fake.api_base)
    use_api_base(fake.api_base + "/", url)
    try:
        assert discord.http.Route("GET", "/users/@me").url == fake.api_base + "/users/@me"
        assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == url
    finally:
        reset_api_base()
    assert discord.http.Route.BASE == "https://discord.com/api/v10"


# -- nonces and lost responses ------------------------------------------------------------------

async def test_enforce_nonce_returns_the_message_already_made(fake, start_client, echo_guild):
    _, channel, alice = echo_guild
    target = (await start_client(EchoBot())).get_channel(channel.id)
    first = await target.send("once", nonce="job-1")
    again = await target.send("twice?", nonce="job-1")  # discord.py sets enforce_nonce
    other = await target.send("another", nonce="job-2")
    await fake.send_message(channel.id, alice.id, "a user may reuse it")  # nonces are per author
    assert (again.id, again.content, again.nonce) == (first.id, "once", "job-1")
    assert [m.content for m in fake.messages_in(channel.id)] == ["once", "another", "a user may reuse it"]
    assert other.id != first.id
    with pytest.raises(discord.HTTPException) as too_long:
        await target.send("x", nonce="n" * 26)
    assert too_long.value.code == 50035


@pytest.mark.parametrize("with_nonce", [True, False])
async def test_a_lost_response_makes_the_message_and_answers_5xx(fake, start_client, echo_guild, with_nonce):
    """The message exists, the client is told 500 and retries: with `enforce_nonce` (which
    discord.py sends) the retry gets the same message; a raw request without one makes two."""
    _, channel, _ = echo_guild
    bot = await start_client(EchoBot())
    lost = fake.lose_next_response(f"POST /api/v10/channels/{channel.id}/messages", 500)
    if with_nonce:
        sent = await bot.get_channel(channel.id).send("exactly once", nonce="n-1")
        assert [m.id for m in fake.messages_in(channel.id)] == [sent.id]
    else:
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel.id)
        await bot.http.request(route, json={"content": "twice"})  # retried after the 500, no nonce
        assert [m.content for m in fake.messages_in(channel.id)] == ["twice", "twice"]
    assert len(lost.hits) == 1


# -- permission overwrites ----------------------------------------------------------------------

async def test_interactions_carry_permissions_with_the_channels_overwrites(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    quiet = fake.add_channel(guild.id, "quiet")
    mods = fake.add_role(guild.id, "Mods", 1 << 13)  # Manage Messages
    fake.add_member(guild.id, alice.id, [mods.id])
    bot = await start_client(EchoBot())
    await bot.tree.sync()
    await fake.set_permissions(quiet.id, mods.id, deny=1 << 13)  # the role, in #quiet
    await fake.set_permissions(quiet.id, guild.id, deny=1 << 15)  # @everyone may not attach in #quiet
    await fake.set_permissions(quiet.id, alice.id, allow=1 << 15)  # ...but alice may

    answers = []
    for where_id in (channel.id, quiet.id):
        rec = await fake.invoke_slash(guild.id, where_id, alice.id, "where")
        answers.append((await fake.wait_for_message(where_id, interaction_id=rec.id)).content)
    assert answers == ["TextChannel parent=None manage=True attach=True bot_attach=True",
                       "TextChannel parent=None manage=False attach=True bot_attach=False"]
    # discord.py saw CHANNEL_UPDATE: its cached channel has the overwrites.
    cached = bot.get_channel(quiet.id)
    assert cached.overwrites_for(bot.get_guild(guild.id).get_role(mods.id)).manage_messages is False
    assert cached.overwrites_for(discord.Object(alice.id)).attach_files is True
    assert fake.permissions_in(quiet.id, alice.id) & (1 << 15)
    assert fake.permissions_in(quiet.id, guild.owner_id) == fake.permissions_in(channel.id, guild.owner_id)


async def test_the_bots_own_overwrites_refuse_its_uploads(fake, start_client, echo_guild):
    guild, channel, _ = echo_guild
    bot = await start_client(EchoBot())
    await fake.set_permissions(channel.id, guild.id, deny=1 << 15)
    with pytest.raises(discord.Forbidden) as excinfo:
        await bot.get_channel(channel.id).send(file=discord.File(io.BytesIO(PNG_1x1), "dot.png"))
    assert excinfo.value.code == 50013
    await bot.get_channel(channel.id).send("text is fine")


# -- threads and forum posts --------------------------------------------------------------------

async def test_threads_reach_the_bot_with_their_parent(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    forum = fake.add_channel(guild.id, "gallery", type=15)
    early = await fake.add_thread(channel.id, "early")  # sent in GUILD_CREATE's threads
    bot = await start_client(EchoBot())
    await bot.tree.sync()
    late = await fake.add_thread(channel.id, "late", private=True)  # THREAD_CREATE
    post = await fake.add_thread(forum.id, "a post")
    await fake.wait_until(lambda: bot.get_channel(post.id), what="the forum post in the bot's cache")

    seen = {t.id: bot.get_channel(t.id) for t in (early, late, post)}
    assert {t.id: (type(c).__name__, c.parent_id, c.type.value) for t, c in zip((early, late, post), seen.values())} \
        == {early.id: ("Thread", channel.id, 11), late.id: ("Thread", channel.id, 12), post.id: ("Thread", forum.id, 11)}
    assert isinstance(bot.get_channel(forum.id), discord.ForumChannel)
    assert [c["id"] for c in (await _get_json(fake, f"/guilds/{guild.id}/channels"))] == [str(channel.id), str(forum.id)]

    await fake.send_message(late.id, alice.id, "!echo", attachments=[("a.txt", b"abc", "text/plain")])
    reply = await fake.wait_for_message(late.id)
    assert reply.files[0].data == b"abc" and reply.channel_id == late.id
    rec = await fake.invoke_slash(guild.id, post.id, alice.id, "where")
    assert (await fake.wait_for_message(post.id, interaction_id=rec.id)).content.startswith(
        f"Thread parent={forum.id} ")


async def _get_json(fake: FakeDiscord, path: str):
    async with aiohttp.ClientSession() as session, session.get(fake.api_base + path) as response:
        return await response.json()


# -- context menus and modals -------------------------------------------------------------------

async def test_message_context_menu_gets_the_target_message_resolved(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    await (await start_client(EchoBot())).tree.sync()
    menu = next(c for c in fake.commands() if c["type"] == 3)
    assert (menu["name"], menu["description"]) == ("Describe message", "")
    target = await fake.send_message(channel.id, alice.id, "look", attachments=[("dot.png", PNG_1x1, "image/png")])

    rec = await fake.invoke_message_command(channel.id, alice.id, "Describe message", target.id)
    answer = await fake.wait_for_message(channel.id, interaction_id=rec.id)
    assert answer.content == "alice: 'look' files=['dot.png']" and answer.ephemeral
    assert rec.payload["data"]["type"] == 3 and rec.payload["data"]["target_id"] == str(target.id)
    with pytest.raises(ValueError):
        await fake.invoke_message_command(channel.id, alice.id, "shout", target.id)  # a slash command


async def test_a_modal_opened_by_a_button_is_submitted_with_values(fake, start_client, echo_guild):
    guild, channel, alice = echo_guild
    await (await start_client(EchoBot())).tree.sync()
    posted = await fake.invoke_slash(guild.id, channel.id, alice.id, "form")
    with_button = await fake.wait_for_message(channel.id, interaction_id=posted.id)

    opened = await fake.click_button(with_button.id, "open-form", alice.id)
    assert (await fake.wait_for_interaction_response(opened.id))["type"] == 9
    modal = fake.modal_of(opened)
    assert modal["title"] == "Your name"
    with pytest.raises(ValueError):
        await fake.submit_modal(opened, alice.id, {"middle": "x"})

    submitted = await fake.submit_modal(opened, alice.id, {"last": "Lovelace"})  # "first" keeps its default
    answer = await fake.wait_for_message(channel.id, interaction_id=submitted.id)
    assert answer.content == f"hello Ada Lovelace on={with_button.id}"
    assert submitted.payload["type"] == 5 and submitted.payload["data"]["custom_id"] == modal["custom_id"]


# -- direct messages ----------------------------------------------------------------------------

async def test_direct_messages_arrive_without_a_guild_and_are_answered(fake, start_client, echo_guild):
    _, _, alice = echo_guild
    bot = await start_client(EchoBot())
    dm = fake.add_dm(alice.id)
    assert fake.add_dm(alice.id) is dm
    await fake.send_message(dm.id, alice.id, "!echo", attachments=[("d.txt", b"dm", "text/plain")])
    reply = await fake.wait_for_message(dm.id)
    assert reply.guild_id is None and reply.files[0].data == b"dm"
    assert bot.seen_contents == ["!echo"]  # DMs keep their text without the message content intent's rules
    rec = await fake.invoke_slash(None, dm.id, alice.id, "where")
    assert (await fake.wait_for_message(dm.id, interaction_id=rec.id)).content.startswith("DMChannel parent=None")


# -- the gateway refuses connections ------------------------------------------------------------

@pytest.mark.parametrize("refusal", [{"status": 503}, {"close_code": 4000}])
async def test_refused_gateway_connections_are_counted_then_served(fake, refusal):
    fake.refuse_gateway(2, **refusal)
    url = fake.api_base.replace("http", "ws", 1).removesuffix("/api/v10") + "/?v=10&encoding=json"
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            if "status" in refusal:
                with pytest.raises(aiohttp.WSServerHandshakeError) as excinfo:
                    await session.ws_connect(url)
                assert excinfo.value.status == 503
            else:
                async with session.ws_connect(url) as ws:
                    msg = await ws.receive()
                    assert msg.type is aiohttp.WSMsgType.CLOSE and msg.data == 4000
        async with session.ws_connect(url) as ws:
            assert json.loads((await ws.receive()).data)["op"] == 10  # HELLO
    assert fake.gateway.refused == 2


# -- locales ------------------------------------------------------------------------------------

class Names(app_commands.Translator):
    """Translates (locale, English text) pairs; anything else stays English."""

    def __init__(self, names: dict[tuple[str, str], str]) -> None:
        self.names = names

    async def translate(self, string, locale, context):
        return self.names.get((locale.value, string.message))


async def test_users_and_servers_locales_reach_the_client(fake, start_client):
    guild = fake.add_guild("Gilde", preferred_locale="de")
    channel = fake.add_channel(guild.id, "allgemein")
    hans = fake.add_user("hans", guilds=[guild.id], locale="fr")
    bot = await start_client(EchoBot())
    await bot.tree.sync()
    seen: list[discord.Interaction] = []

    async def heard(interaction: discord.Interaction) -> None:
        seen.append(interaction)
    bot.add_listener(heard, "on_interaction")

    await fake.invoke_slash(guild.id, channel.id, hans.id, "settings show")
    await fake.wait_until(lambda: seen, what="the interaction")

    assert bot.get_guild(guild.id).preferred_locale is discord.Locale.german
    assert (seen[0].locale, seen[0].guild_locale) == (discord.Locale.french, discord.Locale.german)
    with pytest.raises(ValueError, match="not a Discord locale"):
        fake.add_user("x", locale="german")


async def test_command_localisations_are_stored_and_checked_as_discord_does(fake, start_client, echo_guild):
    bot = await start_client(EchoBot())
    await bot.tree.set_translator(Names({("de", "shout"): "rufen", ("de", "text"): "text",
                                         ("de", "Describe message"): "Nachricht beschreiben"}))
    await bot.tree.sync()
    commands_by_name = {c["name"]: c for c in fake.commands()}
    assert commands_by_name["shout"]["name_localizations"] == {"de": "rufen"}
    assert commands_by_name["shout"]["options"][0]["name_localizations"] == {"de": "text"}
    assert commands_by_name["Describe message"]["name_localizations"] == {"de": "Nachricht beschreiben"}

    for refused in ({("de", "shout"): "Laut Rufen"}, {("de", "text"): "x" * 33}):
        await bot.tree.set_translator(Names(refused))
        with pytest.raises(discord.HTTPException) as excinfo:
            await bot.tree.sync()
        assert (excinfo.value.status, excinfo.value.code) == (400, 50035)
