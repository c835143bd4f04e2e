"""Where a dream's messages go: a reply thread for `!dream`, an interaction for `/dream`,
the channel for a job recovered after a restart.

All answer the same calls (`begin`, `refuse`, `ack`, `progress`, `deliver`, `fail`), so
the dream flow in `runner.py` is written once. Progress edits are throttled by the caller.
`durable` is what `Store.add_job` keeps so that a restarted bot can still answer.

A job's answer (its result, or its failure) is a new message sent with the job's `nonce`
(`answer_nonce`), which discord.py sends with `enforce_nonce`: when a response is lost and
the send is retried, or a restarted bot answers again, Discord returns the message it
already made instead of posting a second one. So a send that ends in a server error (5xx)
is sent once more with the same nonce (`_send_answer`): the member gets the answer that
was made, or the one that was not, never two and never an error beside a result.
"""
from __future__ import annotations

import io
import logging
from datetime import datetime, timedelta, timezone

import discord

from bot.dream import messages

log = logging.getLogger(__name__)

#: An interaction token lives 15 minutes; past this, results go to the channel instead.
TOKEN_LIFETIME = timedelta(minutes=14)


def answer_nonce(job_id: str | None) -> str | None:
    """The nonce of a job's one answer (Discord allows 25 characters; job ids have 12)."""
    return f"dream-{job_id}" if job_id else None


async def _send_answer(channel: discord.abc.Messageable, text: str, *, nonce: str | None,
                       file: discord.File | None = None, **kwargs) -> discord.Message:
    """`channel.send`, once more after a server error when the answer has a nonce: Discord then
    returns the message if the first send made it (its response was lost), or makes it now.
    discord.py retries 500/502/504 itself; a 503, or a 5xx that outlasts its retries, lands here."""
    if nonce is None:
        return await channel.send(text, file=file, **kwargs)
    again = _copy_file(file) if file is not None else None  # discord.py closes what it sent
    try:
        return await channel.send(text, file=file, nonce=nonce, **kwargs)
    except discord.DiscordServerError as exc:
        log.info("answer %s: Discord answered HTTP %s; sending it again with the same nonce", nonce, exc.status)
        return await channel.send(text, file=again, nonce=nonce, **kwargs)


def _copy_file(file: discord.File) -> discord.File:
    fp = file.fp
    start = fp.tell()
    data = fp.read()
    fp.seek(start)
    return discord.File(io.BytesIO(data), filename=file.filename, spoiler=file.spoiler, description=file.description)


class MessageReplies:
    """`!dream`: an acknowledgement reply that is edited, then a reply with the result."""

    slash = False  #: the member typed `!dream`: answers speak prefix syntax

    def __init__(self, message: discord.Message):
        self.message, self.status = message, None

    @property
    def filesize_limit(self) -> int:
        return upload_limit(self.message.channel)

    @property
    def channel_id(self) -> int:
        return self.message.channel.id

    @property
    def parent_id(self) -> int | None:
        return getattr(self.message.channel, "parent_id", None)

    def durable(self) -> dict:
        return {"channel_id": self.channel_id, "message_id": self.message.id}

    async def begin(self) -> None:
        """Nothing to acknowledge before the status message."""

    async def refuse(self, text: str, *, silent: bool = False) -> None:
        if not silent:
            await self._reply(text, mention_author=False)

    async def ack(self, text: str, view: discord.ui.View | None) -> None:
        self.status = await self._reply(text, view=view, mention_author=False)

    async def progress(self, text: str, view: discord.ui.View | None = None) -> None:
        if self.status is not None:
            await self.status.edit(content=text, view=view)

    async def deliver(self, text: str, file: discord.File, view: discord.ui.View, *,
                      job_id: str | None = None) -> discord.Message:
        sent = await self._reply(text, file=file, view=view, mention_author=True, nonce=answer_nonce(job_id))
        await self._drop_status()
        return sent

    async def fail(self, text: str, *, job_id: str | None = None) -> None:
        if not await _edit_status(self.status, text):  # none, or deleted meanwhile
            self.status = None
            await self._reply(text, mention_author=False, nonce=answer_nonce(job_id))

    async def _reply(self, text: str, *, nonce: str | None = None, **kwargs) -> discord.Message:
        """A reply to the command, or a plain message if the user deleted the command meanwhile."""
        reference = self.message.to_reference(fail_if_not_exists=False)
        return await _send_answer(self.message.channel, text, reference=reference, nonce=nonce, **kwargs)

    async def _drop_status(self) -> None:
        await _delete_quietly(self.status)
        self.status = None


class InteractionReplies:
    """`/dream`: the deferred response is edited; a late result goes to the channel.
    Refusals are notes only the member sees, before the deferral and after it."""

    slash = True

    def __init__(self, interaction: discord.Interaction):
        self.interaction = interaction

    @property
    def filesize_limit(self) -> int:
        return self.interaction.filesize_limit

    @property
    def channel_id(self) -> int:
        return self.interaction.channel_id

    @property
    def parent_id(self) -> int | None:
        return getattr(self.interaction.channel, "parent_id", None)

    def durable(self) -> dict:
        # No token: it dies in 15 minutes and recovery answers in the channel, so a live
        # credential has no business on disk.
        return {"channel_id": self.channel_id}

    async def begin(self) -> None:
        """Defer ("thinking…"): the 3 s to answer an interaction are not enough to dream."""
        if not self.interaction.response.is_done():
            await self.interaction.response.defer(thinking=True)

    async def refuse(self, text: str, *, silent: bool = False) -> None:
        """A notice only the user sees, where the interaction was not answered yet.

        Never silent: an unanswered interaction shows the user an error instead.
        """
        if not self.interaction.response.is_done():
            await self.interaction.response.send_message(text, ephemeral=True)
            return
        try:  # deferred ("thinking…", public): replace it with a private note
            await self.interaction.delete_original_response()
        except discord.NotFound:
            pass
        await self.interaction.followup.send(text, ephemeral=True)

    def _token_alive(self) -> bool:
        return datetime.now(timezone.utc) - self.interaction.created_at < TOKEN_LIFETIME

    async def ack(self, text: str, view: discord.ui.View | None) -> None:
        await self.interaction.edit_original_response(content=text, view=view)

    async def progress(self, text: str, view: discord.ui.View | None = None) -> None:
        if self._token_alive():
            await self.interaction.edit_original_response(content=text, view=view)

    async def deliver(self, text: str, file: discord.File, view: discord.ui.View, *,
                      job_id: str | None = None) -> discord.Message:
        if self._token_alive():  # an edit: repeating it changes nothing
            return await self.interaction.edit_original_response(
                content=text, attachments=[file], view=view)
        user = self.interaction.user
        return await self._channel_send(messages.late_result(user.mention, text), file=file, view=view,
                                        nonce=answer_nonce(job_id))

    async def fail(self, text: str, *, job_id: str | None = None) -> None:
        if self._token_alive():
            await self.interaction.edit_original_response(content=text, view=None)
        else:
            await self._channel_send(f"{self.interaction.user.mention} {text}", nonce=answer_nonce(job_id))

    async def _channel_send(self, text: str, *, nonce: str | None = None, **kwargs) -> discord.Message:
        """After the token died: a plain channel message that pings only the user it is for."""
        return await _send_answer(self.interaction.channel, text, nonce=nonce,
                                  allowed_mentions=discord.AllowedMentions(users=[self.interaction.user]), **kwargs)


class ChannelReplies:
    """A job recovered after a restart: replies to the `!dream` message if it still exists,
    else a channel message that mentions its owner (slash commands' tokens don't survive)."""

    slash = False

    def __init__(self, channel: discord.abc.Messageable, user_id: int, message_id: int | None,
                 filesize_limit: int):
        self.channel, self.user_id, self.message_id = channel, user_id, message_id
        self.filesize_limit = filesize_limit
        self.status: discord.Message | None = None

    @property
    def channel_id(self) -> int:
        return self.channel.id

    @property
    def parent_id(self) -> int | None:
        return getattr(self.channel, "parent_id", None)

    @property
    def mention(self) -> str:
        return f"<@{self.user_id}>"

    async def begin(self) -> None:
        """Recovered jobs are acknowledged by their first status message."""

    async def refuse(self, text: str, *, silent: bool = False) -> None:
        if not silent:
            await self.fail(text)

    async def ack(self, text: str, view: discord.ui.View | None) -> None:
        self.status = await self._send(f"{self.mention} {text}", view=view)

    async def progress(self, text: str, view: discord.ui.View | None = None) -> None:
        if self.status is not None:
            await self.status.edit(content=f"{self.mention} {text}", view=view)

    async def deliver(self, text: str, file: discord.File, view: discord.ui.View, *,
                      job_id: str | None = None) -> discord.Message:
        sent = await self._send(f"{self.mention} {messages.RECOVERED_LATE}\n{text}",
                                file=file, view=view, nonce=answer_nonce(job_id))
        await _delete_quietly(self.status)
        self.status = None
        return sent

    async def fail(self, text: str, *, job_id: str | None = None) -> None:
        if not await _edit_status(self.status, f"{self.mention} {text}"):  # none, or deleted meanwhile
            self.status = None
            await self._send(f"{self.mention} {text}", nonce=answer_nonce(job_id))

    async def _send(self, text: str, *, nonce: str | None = None, **kwargs) -> discord.Message:
        reference = (discord.MessageReference(message_id=self.message_id, channel_id=self.channel.id,
                                              fail_if_not_exists=False) if self.message_id else None)
        return await _send_answer(self.channel, text, reference=reference, nonce=nonce,
                                  allowed_mentions=discord.AllowedMentions(users=[discord.Object(self.user_id)]),
                                  **kwargs)


async def _delete_quietly(message: discord.Message | None) -> None:
    """Delete a status message; one already gone (or not ours to delete) is fine."""
    if message is None:
        return
    try:
        await message.delete()
    except discord.HTTPException:
        log.debug("could not delete status message %s", message.id)


async def _edit_status(message: discord.Message | None, text: str) -> bool:
    """Turn the status message into `text`; False if there is none or it was deleted."""
    if message is None:
        return False
    try:
        await message.edit(content=text, view=None)
    except discord.NotFound:
        return False
    return True


def upload_limit(channel) -> int:
    """The largest file the bot may post in `channel`: its server's limit, or Discord's default."""
    guild = getattr(channel, "guild", None)
    return guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
