"""Where a dream's messages go: a reply thread for `!dream`, an interaction for `/dream`.

Both answer the same four calls (`ack`, `progress`, `deliver`, `fail`), so the dream
flow in `runner.py` is written once. Progress edits are throttled by the caller.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import discord

from . import messages

log = logging.getLogger(__name__)

#: An interaction token lives 15 minutes; past this, results go to the channel instead.
TOKEN_LIFETIME = timedelta(minutes=14)


class MessageReplies:
    """`!dream`: an acknowledgement reply that is edited, then a reply with the result."""

    def __init__(self, message: discord.Message):
        self.message, self.status = message, None

    @property
    def filesize_limit(self) -> int:
        guild = self.message.guild
        return guild.filesize_limit if guild else discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES

    async def ack(self, text: str, view: discord.ui.View | None) -> None:
        self.status = await self._reply(text, view=view, mention_author=False)

    async def progress(self, text: str, view: discord.ui.View | None = None) -> None:
        if self.status is not None:
            await self.status.edit(content=text, view=view)

    async def deliver(self, text: str, file: discord.File, view: discord.ui.View) -> discord.Message:
        sent = await self._reply(text, file=file, view=view, mention_author=True)
        await self._drop_status()
        return sent

    async def fail(self, text: str) -> None:
        if self.status is not None:
            await self.status.edit(content=text, view=None)
        else:
            await self._reply(text, mention_author=False)

    async def _reply(self, text: str, **kwargs) -> discord.Message:
        """A reply to the command, or a plain message if the user deleted the command meanwhile."""
        reference = self.message.to_reference(fail_if_not_exists=False)
        return await self.message.channel.send(text, reference=reference, **kwargs)

    async def _drop_status(self) -> None:
        if self.status is not None:
            try:
                await self.status.delete()
            except discord.HTTPException:
                log.debug("could not delete status message %s", self.status.id)
            self.status = None


class InteractionReplies:
    """`/dream`: the deferred response is edited; a late result goes to the channel."""

    def __init__(self, interaction: discord.Interaction):
        self.interaction = interaction

    @property
    def filesize_limit(self) -> int:
        return self.interaction.filesize_limit

    def _token_alive(self) -> bool:
        return datetime.now(timezone.utc) - self.interaction.created_at < TOKEN_LIFETIME

    async def ack(self, text: str, view: discord.ui.View | None) -> None:
        await self.interaction.edit_original_response(content=text, view=view)

    async def progress(self, text: str, view: discord.ui.View | None = None) -> None:
        if self._token_alive():
            await self.interaction.edit_original_response(content=text, view=view)

    async def deliver(self, text: str, file: discord.File, view: discord.ui.View) -> discord.Message:
        if self._token_alive():
            return await self.interaction.edit_original_response(
                content=text, attachments=[file], view=view)
        user = self.interaction.user
        return await self._channel_send(messages.late_result(user.mention, text), file=file, view=view)

    async def fail(self, text: str) -> None:
        if self._token_alive():
            await self.interaction.edit_original_response(content=text, view=None)
        else:
            await self._channel_send(f"{self.interaction.user.mention} {text}")

    async def _channel_send(self, text: str, **kwargs) -> discord.Message:
        """After the token died: a plain channel message that pings only the user it is for."""
        return await self.interaction.channel.send(
            text, allowed_mentions=discord.AllowedMentions(users=[self.interaction.user]), **kwargs)
