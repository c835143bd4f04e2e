"""Buttons that keep working after a restart: their state lives in the `custom_id`.

- Cancel (on the status message): stops the owner's queued or running dream.
- Dream again: dreams the result deeper, with the same settings.
- Reroll: the same settings and source image, a new seed.
- Tweak: a form (strength, preset, layer, steps) filled in from this dream; the original
  image is dreamt again with what the member submits, checked like any request.
- Compare: the original and the dream side by side, only for whoever pressed it.
- Delete: removes the result; the requester or a moderator (Manage Messages in this channel) only.

Labels speak the language of whoever the message is for; what a press answers speaks the
language of whoever pressed (`i18n.Localised`).
"""
from __future__ import annotations

import logging
import re

import discord

from dreaming.errors import DreamError

from bot import i18n
from bot.dream import messages
from bot.dream.admission import invoker_refusal
from bot.dream.animation import FORM_OPTIONS
from bot.dream.compare import comparison
from bot.dream.fetch import first_attachment
from bot.dream.options import options_from_settings_line
from bot.dream.replies import InteractionReplies
from bot.dream.request import DreamRequest
from bot.errors import reply_for

log = logging.getLogger(__name__)


def cancel_view(job_id: str, owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(job_id, owner_id))
    return view


def result_view(owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in (DreamAgainButton(owner_id), RerollButton(owner_id), TweakButton(owner_id),
                 CompareButton(owner_id), DeleteButton(owner_id)):
        view.add_item(item)
    return view


def _may_manage(interaction: discord.Interaction, owner_id: int) -> bool:
    """The dream's owner, or a member who may manage messages in this very channel
    (the interaction's permissions include the channel's overwrites)."""
    return interaction.user.id == owner_id or interaction.permissions.manage_messages


def _button(action: str, owner_id: int, style: discord.ButtonStyle, extra: str = "") -> discord.ui.Button:
    """A button whose custom_id is `dreambot:<action>:<owner id>[:<extra>]`, labelled in the current language."""
    custom_id = f"dreambot:{action}:{owner_id}" + (f":{extra}" if extra else "")
    return discord.ui.Button(label=i18n.t(f"button_{action}"), style=style, custom_id=custom_id)



async def _owner_or_moderator(interaction: discord.Interaction, owner_id: int) -> bool:
    if _may_manage(interaction, owner_id):
        return True
    await interaction.response.send_message(messages.NOT_YOURS, ephemeral=True)
    return False


class CancelButton(i18n.Localised, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"dreambot:cancel:(?P<owner>\d+):(?P<job>[0-9a-f]{12})"):
    def __init__(self, job_id: str, owner_id: int):
        self.job_id, self.owner_id = job_id, owner_id
        super().__init__(_button("cancel", owner_id, discord.ButtonStyle.danger, job_id))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match):
        return cls(match["job"], int(match["owner"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await super().interaction_check(interaction) and await _owner_or_moderator(interaction, self.owner_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        stopped = interaction.client.pool.cancel(self.job_id)
        await interaction.response.send_message(
            messages.CANCELLED if stopped else messages.NOTHING_TO_CANCEL, ephemeral=True)


class DeleteButton(i18n.Localised, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"dreambot:delete:(?P<owner>\d+)"):
    def __init__(self, owner_id: int):
        self.owner_id = owner_id
        super().__init__(_button("delete", owner_id, discord.ButtonStyle.danger))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match):
        return cls(int(match["owner"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return await super().interaction_check(interaction) and await _owner_or_moderator(interaction, self.owner_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.message.delete()


class DreamAgainButton(i18n.Localised, discord.ui.DynamicItem[discord.ui.Button],
                       template=r"dreambot:again:(?P<owner>\d+)"):
    """Anyone may press it; the new dream is theirs (and counts against their limits)."""

    def __init__(self, owner_id: int):
        self.owner_id = owner_id
        super().__init__(_button("again", owner_id, discord.ButtonStyle.primary))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match):
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await _may_dream_here(interaction):
            return
        options = options_from_settings_line(interaction.message.content)
        options.pop("seed", None)
        options.pop("noise", None)  # deeper into this very picture, not a fresh start from noise
        # A still is dreamt deeper; an animation's file is no picture to start from, so its
        # original is dreamt again (as Reroll does).
        animated = str(options.get("frames", "1")) not in ("", "1")
        source = await _original_image(interaction) if animated else first_attachment(interaction.message)
        if source is None and animated:
            await interaction.response.send_message(f"⚠️ {messages.SOURCE_GONE}", ephemeral=True)
            return
        request = DreamRequest(user=interaction.user, image=source, options=options, guide=_guide_of(interaction))
        # The runner defers after the server's rules, so its refusals stay ephemeral.
        await interaction.client.runner.run(request, InteractionReplies(interaction))


class RerollButton(i18n.Localised, discord.ui.DynamicItem[discord.ui.Button],
                   template=r"dreambot:reroll:(?P<owner>\d+)"):
    """The same settings on the original image, with a new seed."""

    def __init__(self, owner_id: int):
        self.owner_id = owner_id
        super().__init__(_button("reroll", owner_id, discord.ButtonStyle.secondary))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match):
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await _may_dream_here(interaction):
            return
        await interaction.response.defer(thinking=True)  # finding the original may take a fetch
        replies = InteractionReplies(interaction)
        options = options_from_settings_line(interaction.message.content)
        options.pop("seed", None)
        await _dream_original_again(interaction, options, replies, replies.fail)


class TweakButton(i18n.Localised, discord.ui.DynamicItem[discord.ui.Button],
                  template=r"dreambot:tweak:(?P<owner>\d+)"):
    """Opens the Tweak form; anyone may press it, and the new dream is theirs."""

    def __init__(self, owner_id: int):
        self.owner_id = owner_id
        super().__init__(_button("tweak", owner_id, discord.ButtonStyle.secondary))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match):
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        if not await _may_dream_here(interaction):
            return
        await interaction.response.send_modal(TweakForm(interaction.id, interaction.message.content))


class TweakForm(i18n.Localised, discord.ui.Modal):
    """The Tweak form: the result's strength, layer(s) and steps, and a preset to switch to.

    Fields left as they were keep this dream's settings (its seed included, so the tweak is
    what changes); a preset replaces them, with the fields the member changed on top; a
    field emptied falls back to the default. Values are checked by the runner, like
    `/dream`'s, and a bad one is a note only the member sees.
    """

    FIELDS = messages.TWEAK_FIELDS

    def __init__(self, opened_by: int, result_text: str):
        # One form per press: discord.py finds a submitted form by its custom_id.
        super().__init__(title=i18n.t("tweak_title"), custom_id=f"dreambot:tweak-form:{opened_by}", timeout=900)
        self.settings = options_from_settings_line(result_text)
        self.inputs: dict[str, discord.ui.TextInput] = {}
        for name in self.FIELDS:
            field = discord.ui.TextInput(label=messages.tweak_label(name), custom_id=name, required=False,
                                         default=str(self.settings.get(name, ""))[:100] or None, max_length=100,
                                         placeholder=messages.tweak_hint(name))
            self.inputs[name] = field
            self.add_item(field)

    def options(self) -> dict[str, object]:
        """What to dream: this dream's settings with the member's changes."""
        submitted = {name: (field.value or "").strip() for name, field in self.inputs.items()}
        changed = {name: value for name, value in submitted.items() if value != str(self.settings.get(name, ""))}
        base = dict(self.settings)
        if not str(base.get("seed", "")).isdigit():
            base.pop("seed", None)
        if changed.get("preset"):  # a new style: its settings, with the fields changed on top
            form = {name: base[name] for name in FORM_OPTIONS if name in base}  # noise stays noise
            return {**form, **{name: value for name, value in changed.items() if value}}
        for name, value in changed.items():
            if value:
                base[name] = value
            else:
                base.pop(name, None)
        return base

    async def on_submit(self, interaction: discord.Interaction) -> None:
        if not await _may_dream_here(interaction):
            return
        replies = InteractionReplies(interaction)
        await _dream_original_again(interaction, self.options(), replies, replies.refuse)


class CompareButton(i18n.Localised, discord.ui.DynamicItem[discord.ui.Button],
                    template=r"dreambot:compare:(?P<owner>\d+)"):
    """The original and the dream side by side, shown only to whoever pressed it."""

    def __init__(self, owner_id: int):
        self.owner_id = owner_id
        super().__init__(_button("compare", owner_id, discord.ButtonStyle.secondary))

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match):
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        if _from_noise(options_from_settings_line(interaction.message.content)):
            await interaction.followup.send(f"⚠️ {messages.COMPARE_NOISE}", ephemeral=True)
            return
        source, result = await _original_image(interaction), first_attachment(interaction.message)
        if source is None or result is None:
            await interaction.followup.send(f"⚠️ {messages.SOURCE_GONE}", ephemeral=True)
            return
        client = interaction.client
        try:
            file = await comparison(client.http_session, source, result, client.config.limits,
                                    interaction.filesize_limit)
        except DreamError as error:
            await interaction.followup.send(reply_for(error), ephemeral=True)
            return
        await interaction.followup.send(messages.COMPARE, file=file, ephemeral=True)


async def _may_dream_here(interaction: discord.Interaction) -> bool:
    """Before anything public: the member may post here, and the server's rules allow a
    dream in this channel; otherwise a note only they see (even in a silent channel)."""
    refused = invoker_refusal(interaction.permissions, in_thread=isinstance(interaction.channel, discord.Thread),
                              posts_file=False)
    refused = refused or await interaction.client.runner.rules_refusal(interaction.user, interaction.channel)
    if refused is None:
        return True
    await interaction.response.send_message(f"⛔ {refused.text}", ephemeral=True)
    return False


async def _dream_original_again(interaction: discord.Interaction, options: dict, replies, say) -> None:
    """Reroll's and Tweak's dream: `options` on this result's original image and guide, or on
    a new noise start for a dream from noise; `say` tells the member when the original is gone."""
    noise = _from_noise(options)  # a dream from noise has no original
    source = None if noise or interaction.message is None else await _original_image(interaction)
    if source is None and not noise:
        await say(f"⚠️ {messages.SOURCE_GONE}")
        return
    await interaction.client.runner.run(DreamRequest(interaction.user, source, options,
                                                     guide=_guide_of(interaction)), replies)


def _guide_of(interaction: discord.Interaction):
    """The guide that steered this result, while the bot remembers it (recent results, this
    run): its buttons dream with the same guide."""
    message = interaction.message
    return None if message is None else interaction.client.runner.guides.get(message.id)


def _from_noise(options: dict[str, str]) -> bool:
    """Whether a result's settings line says it was dreamt from noise (`noise=on`)."""
    return str(options.get("noise", "")).lower() == "on"


async def _original_image(interaction: discord.Interaction):
    """The image the result was made from: remembered by the runner, else found by following
    the result's reply chain (the command message, then the message it replied to)."""
    message = interaction.message
    remembered = interaction.client.runner.sources.get(message.id)
    if remembered is not None:
        return remembered
    for _ in range(2):
        if not (message.reference and message.reference.message_id):
            return None
        try:
            message = await message.channel.fetch_message(message.reference.message_id)
        except discord.HTTPException:
            return None
        if first_attachment(message) is not None:
            return first_attachment(message)
    return None


DYNAMIC_ITEMS = (CancelButton, DeleteButton, DreamAgainButton, RerollButton, TweakButton, CompareButton)
