"""Every reply the bot writes about dreams, in the member's language. Replies are short, one
line where possible.

The words are in the catalogs (`bot/i18n/en.py`, `de.py`); this module fills them in. A fixed
text reads as a constant, `messages.CANCELLED`: it is looked up in the catalog (`cancelled`) in
the language of the request being answered (`bot.i18n.use`), each time it is read.
"""
from __future__ import annotations

from datetime import timedelta

import discord

from dreaming.jobs import Progress
from dreaming.messages import explain, short
from dreaming.networks import DEFAULT_MODEL, network
from dreaming.params import Clamp, option_name

from bot.config import DEFAULT_PRIVACY_REMINDER
from bot.i18n import CATALOGS, FALLBACK, t

#: the Tweak form's fields (TweakForm.FIELDS), each with a label and a hint in the catalogs
TWEAK_FIELDS = ("strength", "preset", "layers", "steps")


def __getattr__(name: str) -> str:
    """`messages.NOT_YOURS` -> the catalog's `not_yours`, in the current language."""
    if name.isupper() and name.lower() in CATALOGS[FALLBACK]:
        return t(name.lower())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def usage(slash: bool, prefix: str) -> str:
    """How to ask for a dream, in the syntax the member used."""
    return t("slash_usage") if slash else t("usage", prefix=prefix)


def cancel_hint(slash: bool, prefix: str) -> str:
    return t("slash_cancel_hint") if slash else t("cancel_hint", prefix=prefix)


def queued(position: int, slash: bool, prefix: str, eta_s: float | None = None) -> str:
    """The acknowledgement: the place in line (with when it should be done, once recent dreams
    tell), or "starting" when a worker took it at once (0)."""
    hint = cancel_hint(slash, prefix)
    if position <= 0:
        return t("starting", cancel_hint=hint)
    eta = t("queued_eta", when=_when(eta_s)) if eta_s else ""
    return t("queued", position=position, eta=eta, cancel_hint=hint)


def place(handle) -> str:
    """One of the member's dreams in `/dream-queue`: its place, its progress, or getting ready."""
    if handle is None:
        return t("place_getting_ready")
    if handle.position > 0:
        return t("place_in_line", position=handle.position)
    done = f" · {int(handle.progress.done * 100)}%" if handle.progress else ""
    return t("place_dreaming", done=done)


def queue_status(places: list[str], waiting: int, slash: bool, prefix: str) -> str:
    """`/dream-queue`, `!dream queue`."""
    line = t("queue_waiting", count=waiting)
    if not places:
        return t("queue_none", waiting=line)
    return t("queue_mine", count=len(places), places="; ".join(places), waiting=line, hint=cancel_hint(slash, prefix))


def _when(seconds: float) -> str:
    return discord.utils.format_dt(discord.utils.utcnow() + timedelta(seconds=seconds), "R")


def progress(p: Progress) -> str:
    """`🌀 Dreaming… octave 2/4 · 37% · done <t:…:R>` (`frame 3/24` for an animation): Discord
    shows the end as "in 2 minutes", in the reader's own clock and language."""
    eta = t("progress_eta", when=_when(p.eta_s)) if p.eta_s is not None else ""
    if p.frames > 1:  # an animation: frames tell more than the octaves of one of them
        return t("progress_frames", frame=p.frame, frames=p.frames, percent=int(p.done * 100), eta=eta)
    return t("progress", octave=p.octave, octaves=p.octaves, percent=int(p.done * 100), eta=eta)


def clamps(items: list[Clamp]) -> str:
    """`Limited: steps 500→40, size 4000→1024.` or '' when nothing was clamped."""
    if not items:
        return ""
    shown = ", ".join(f"{option_name(c.name)} {_number(c.asked)}→{_number(c.used)}" for c in items)
    return t("clamped", shown=shown)


def _number(value: float) -> str:
    """A user's number as typed-ish: whole numbers exactly, a 400-digit one as 'huge'."""
    if isinstance(value, int):
        return str(value) if abs(value) < 10**12 else "huge"
    return f"{value:g}"


def result(settings_line: str, clamp_line: str, reminder: str, note: str | None = None) -> str:
    """The result's text; `note`: the engine's line on how the image was dreamt (padded). The
    built-in privacy reminder speaks the member's language; an operator's or server's own is
    shown as written."""
    if reminder == DEFAULT_PRIVACY_REMINDER:
        reminder = t("privacy_reminder")
    lines = [f"`{settings_line}`", clamp_line or None, note, f"-# {reminder}" if reminder else None]
    return "\n".join(line for line in lines if line)


def late_result(mention: str, result_text: str) -> str:
    """A result posted to the channel after the interaction expired: it names its owner."""
    return t("late_result", mention=mention, result=result_text)


def help_text(prefix: str, recent_minutes: float) -> str:
    return t("help", prefix=prefix, recent_minutes=recent_minutes)


def tweak_label(field: str) -> str:
    return t(f"tweak_label_{field}")


def tweak_hint(field: str) -> str:
    return t(f"tweak_hint_{field}")


def presets_list(presets) -> str:
    """One line per preset, within Discord's 2000 characters (a server may add 25 of its own)."""
    text = t("presets_title")
    for p in presets.values():
        line = f"\n`{p.name}` — {p.description}"
        if len(text) + len(line) > 1990:
            return text + "\n…"
        text += line
    return text


def layers_list(models: tuple[str, ...] = (DEFAULT_MODEL,)) -> str:
    """`!dream layers`, `/dream-layers`: the layers of each network offered, shallow to deep,
    with the other names that run them (GoogLeNet's `mixed4c`, VGG's `conv5_1`) beside them,
    so that two networks still fit in one message."""
    lines = [t("layers_title")]
    for model in models:
        net = network(model)
        if len(models) > 1:
            lines.append(f"**{net.title}** (`model={model}`)")
        for info in net.layers.values():
            aliases = ", ".join(f"`{alias}`" for alias, layer in net.aliases.items() if layer == info.name)
            lines.append(f"`{info.name}`" + (f" ({aliases})" if aliases else "") + f" — {info.paints}")
    return "\n".join(lines)


# -- server rules (bot/dream/admission.py) ------------------------------------------------
def outside_channels(channel_ids) -> str:
    return t("outside_channels", channels=", ".join(f"<#{c}>" for c in channel_ids))


def quota(used: int, limit: int | None, resets_at, cooldown_s: float) -> str:
    """`/dream-quota`: what is left today, when it resets, and any cooldown still running."""
    if limit is None:
        line = t("quota_unlimited", count=used)
    else:
        line = t("quota_used", used=used, count=limit, left=max(0, limit - used),
                 resets=discord.utils.format_dt(resets_at, "R"))
    if cooldown_s > 0:
        line += t("quota_cooldown", when=_when(max(1.0, cooldown_s)))
    return line


# -- errors, in the bot's voice (bot/errors.py `reply_for` asks here) ---------------------
def safe(text: str) -> str:
    """User text as Discord shows it literally: no markdown (masked links), no pings."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def error_text(error: BaseException) -> str:
    """One line for a known error: the bot's own words where it has them, else the engine's
    (English: `dreaming.messages`). What the user typed is cut short and shown literally (`safe`)."""
    match type(error).__name__:
        case "QueueFull":
            return t("busy", count=error.limit)
        case "UserLimit":
            return t("user_limit", count=error.limit)
        case "CoolingDown":
            return t("cooling_down", when=_when(max(1.0, error.seconds_left)))
        case "DailyQuotaUsed":
            return t("daily_quota_used", count=error.quota, resets=discord.utils.format_dt(error.resets_at, "R"))
        case "LayerNotAllowed":
            return t("layer_not_allowed", layer=safe(short(error.layer)), allowed=", ".join(error.allowed))
        case "ModelNotOffered":
            return t("model_not_offered", model=safe(short(error.model)), offered=", ".join(error.offered))
        case "ClassNotOffered":
            return t("class_not_offered")
        case "ChannelNotFound":
            return t("no_channel", name=safe(short(error.argument)))
        case "RoleNotFound":
            return t("no_role", name=safe(short(error.argument)))
    return explain(error, echo=safe)


def try_again_in(seconds: float) -> str:
    """A command's own cooldown, as a Discord timestamp."""
    return t("try_again", when=_when(max(1.0, seconds)))
