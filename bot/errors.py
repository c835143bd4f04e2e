"""The bot's own error types (data, no prose) and the one handler that turns any failure
into a reply.

The words are in `bot.dream.messages` (`error_text`), in the member's language (`bot.i18n`):
the engine's errors read as `dreaming.messages` says (in English), except where the bot speaks
in its own voice (the busy reply, server rules, a channel or role it can't find). Anything
else is a bug: logged with its traceback and answered with a short generic line, never the
trace.
"""
from __future__ import annotations

import logging
import sqlite3
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from dreaming.errors import DreamError

from bot.dream import messages

log = logging.getLogger(__name__)


class ServerRule(DreamError):
    """A request this server's moderators' settings refuse (not a problem with the request itself)."""

    def __str__(self) -> str:
        return messages.error_text(self)


class CoolingDown(ServerRule):
    def __init__(self, seconds_left: float):
        self.seconds_left = seconds_left
        super().__init__(seconds_left)


class DailyQuotaUsed(ServerRule):
    def __init__(self, quota: int, resets_at: datetime):
        self.quota, self.resets_at = quota, resets_at
        super().__init__(quota, resets_at)


class LayerNotAllowed(ServerRule):
    def __init__(self, layer: str, allowed: tuple[str, ...]):
        self.layer, self.allowed = layer, allowed
        super().__init__(layer, allowed)


class NotModerator(commands.CheckFailure):
    """Raised by the moderator check; the message says who may change settings."""


def reply_for(error: BaseException, *, job_id: str | None = None) -> str:
    """One line to show the user for `error`."""
    while getattr(error, "original", None) is not None:  # CommandInvokeError, HybridCommandError & co.
        error = error.original
    if isinstance(error, commands.BadUnionArgument) and error.errors:  # e.g. no text channel nor forum by that name
        error = error.errors[0]
    if isinstance(error, DreamError):
        return f"⚠️ {messages.error_text(error)}"
    if isinstance(error, (commands.CommandOnCooldown, app_commands.CommandOnCooldown)):
        return f"⏳ {messages.try_again_in(error.retry_after)}"
    if isinstance(error, (commands.ChannelNotFound, commands.RoleNotFound)):
        return f"⚠️ {messages.error_text(error)}"
    if isinstance(error, (commands.CheckFailure, app_commands.CheckFailure)):
        return f"⛔ {error}" if str(error) else f"⛔ {messages.NOT_HERE}"
    if isinstance(error, commands.UserInputError):  # its text may quote what the user typed
        return f"⚠️ {messages.safe(str(error))[:500]}"
    if isinstance(error, sqlite3.Error):  # a full disk or a read-only volume: the operator's to fix
        log.error("the database refused a write (job %s): %s", job_id or "-", error)
        return f"⚠️ {messages.STORE_UNAVAILABLE}"
    if isinstance(error, discord.Forbidden):
        return f"⚠️ {messages.MISSING_PERMISSIONS}"
    log.error("unexpected error (job %s)", job_id or "-", exc_info=error)
    return f"⚠️ {messages.GENERIC_FAILURE}"
