"""Every reply the bot writes, in one place. Replies are short, one line where possible."""
from __future__ import annotations

from datetime import timedelta

import discord

from dreaming.jobs import Progress
from dreaming.messages import explain, plural, short
from dreaming.layers import describe_layers
from dreaming.params import Clamp, option_name

USAGE = ("Attach an image (or reply to one) and type `{prefix}dream`, e.g. "
         "`{prefix}dream layer=mixed4c strength=0.02` or `{prefix}dream preset=nightmare`. "
         "`{prefix}dream help` lists every option.")
SLASH_USAGE = ("Give `/dream` an image (its `image` option), or post one in this channel first, e.g. "
               "`/dream image:` with `layer:mixed4c` or `preset:nightmare`. `/dream-help` lists every option.")
HELP = """**Dream an image** — attach it (or reply to a message with one) and send `{prefix}dream [key=value ...]`, or use `/dream`.
Keys (any case): `preset` · `layer` (e.g. `mixed5`, `mixed4c`, blend `mixed3:1,mixed5:1.5`, channel `mixed4/97`) · `strength` (step size, e.g. 0.015) · `octaves` · `steps` · `jitter` · `seed` · `size` (longest side, px).
`{prefix}dream presets` and `{prefix}dream layers` list the choices; `{prefix}dream cancel` stops your dream.
With no image attached, your last image in this channel (within {recent_minutes:g} minutes) is used."""
QUEUED = "🌀 Queued: you are #{position} in line{eta}. {cancel_hint}"
STARTING = "🌀 Dreaming… starting. {cancel_hint}"
STARTED = "🌀 Dreaming… octave {octave}/{octaves} · {percent}%{eta}"
CANCEL_HINT = "Press Cancel or send `{prefix}dream cancel` to stop it."
SLASH_CANCEL_HINT = "Press Cancel or use `/dream-cancel` to stop it."
CANCELLED = "Cancelled your dream."
NOTHING_TO_CANCEL = "You have no dream waiting or running."
TRY_AGAIN = "Slow down: try again {when}."
NOT_HERE = "You can't use that here."
GENERIC_FAILURE = "Something went wrong on our side while dreaming. Please try again."
STORE_UNAVAILABLE = ("Dreambot can't save anything right now (its database refuses writes), so it "
                     "can't take dreams or settings. Try again later; the operator has been told.")
MISSING_PERMISSIONS = ("I'm not allowed to post that here: I need Send Messages and Attach Files "
                       "in this channel. Ask a moderator.")
YOU_CANNOT_POST = "You can't post in this channel, so I won't post a dream for you here."
YOU_CANNOT_ATTACH = "You can't attach files in this channel, so I won't post your image here."
NOT_YOURS = "Only the person who asked for this dream (or a moderator) can do that."
COMPARE = "Before and after (only you see this)."
SOURCE_GONE = "The original image is no longer available; try Dream again instead."
#: "Dream this image" (the message's Apps menu) on a message without an image
NO_IMAGE_IN_MESSAGE = "That message has no image to dream; use Dream this image on a message with one."
#: the Tweak form: its title, and its fields' labels and hints
TWEAK_TITLE = "Tweak this dream"
TWEAK_LABELS = {"strength": "Strength", "preset": "Preset", "layers": "Layer", "steps": "Steps per octave"}
TWEAK_HINTS = {"strength": "Step size: higher is stronger, e.g. 0.015",
               "preset": "A named style, e.g. nightmare (blank: keep these settings)",
               "layers": "e.g. mixed4c, or a blend: mixed3:1,mixed5:1.5", "steps": "Gradient steps per octave, e.g. 12"}


def usage(slash: bool, prefix: str) -> str:
    """How to ask for a dream, in the syntax the member used."""
    return SLASH_USAGE if slash else USAGE.format(prefix=prefix)


def queued(position: int, slash: bool, prefix: str, eta_s: float | None = None) -> str:
    """The acknowledgement: the place in line (with when it should be done, once recent dreams
    tell), or "starting" when a worker took it at once (0)."""
    hint = SLASH_CANCEL_HINT if slash else CANCEL_HINT.format(prefix=prefix)
    if position <= 0:
        return STARTING.format(cancel_hint=hint)
    return QUEUED.format(position=position, eta=f", done about {_when(eta_s)}" if eta_s else "", cancel_hint=hint)


def place(handle) -> str:
    """One of the member's dreams in `/dream-queue`: its place, its progress, or getting ready."""
    if handle is None:
        return "getting ready (fetching the image)"
    if handle.position > 0:
        return f"#{handle.position} in line"
    done = f" · {int(handle.progress.done * 100)}%" if handle.progress else ""
    return f"dreaming{done}"


def queue_status(places: list[str], waiting: int, slash: bool, prefix: str) -> str:
    """`/dream-queue`, `!dream queue`."""
    line = f"{waiting} {plural(waiting, 'dream')} waiting for a worker."
    if not places:
        return f"You have no dream waiting or running. {line}"
    mine = "; ".join(places)
    hint = SLASH_CANCEL_HINT if slash else CANCEL_HINT.format(prefix=prefix)
    return f"Your {plural(len(places), 'dream')}: {mine}. {line} {hint}"


def _when(seconds: float) -> str:
    return discord.utils.format_dt(discord.utils.utcnow() + timedelta(seconds=seconds), "R")


def progress(p: Progress) -> str:
    """`🌀 Dreaming… octave 2/4 · 37% · done <t:…:R>`: Discord shows the end as "in 2 minutes",
    in the reader's own clock and language."""
    eta = f" · done {_when(p.eta_s)}" if p.eta_s is not None else ""
    return STARTED.format(octave=p.octave, octaves=p.octaves, percent=int(p.done * 100), eta=eta)


def clamps(items: list[Clamp]) -> str:
    """`Limited: steps 500→40, size 4000→1024.` or '' when nothing was clamped."""
    if not items:
        return ""
    shown = ", ".join(f"{option_name(c.name)} {_number(c.asked)}→{_number(c.used)}" for c in items)
    return f"Limited by this bot's settings: {shown}."


def _number(value: float) -> str:
    """A user's number as typed-ish: whole numbers exactly, a 400-digit one as 'huge'."""
    if isinstance(value, int):
        return str(value) if abs(value) < 10**12 else "huge"
    return f"{value:g}"


def result(settings_line: str, clamp_line: str, reminder: str) -> str:
    lines = [f"`{settings_line}`", clamp_line or None, f"-# {reminder}" if reminder else None]
    return "\n".join(line for line in lines if line)


def late_result(mention: str, result_text: str) -> str:
    """A result posted to the channel after the interaction expired: it names its owner."""
    return f"{mention} your dream is ready.\n{result_text}"


def help_text(prefix: str, recent_minutes: float) -> str:
    return HELP.format(prefix=prefix, recent_minutes=recent_minutes)


def presets_list(presets) -> str:
    """One line per preset, within Discord's 2000 characters (a server may add 25 of its own)."""
    text = "**Presets**"
    for p in presets.values():
        line = f"\n`{p.name}` — {p.description}"
        if len(text) + len(line) > 1990:
            return text + "\n…"
        text += line
    return text


def layers_list() -> str:
    lines = [f"`{name}` — {text}" for name, text in describe_layers()]
    return "**Layers** (early layers paint textures, deep ones creatures)\n" + "\n".join(lines)


# -- server rules (bot/admission.py) ------------------------------------------------
DISABLED = "Dreambot is turned off on this server."
NO_DMS = "Dreams aren't made in direct messages with this bot; use /dream in a server instead."
QUOTA_EXEMPT = "Your role is exempt from this server's cooldown and daily quota."
INTERRUPTED_BY_RESTART = ("⚠️ Your dream was interrupted when the bot restarted and could not be "
                          "finished. Send it again.")
PAUSED_FOR_RESTART = ("⏸️ Dreambot is restarting: your dream is saved and will continue "
                      "when the bot is back.")
MAYBE_UNDELIVERED = ("⚠️ Your dream was finished, but the bot restarted while posting it. "
                     "If you don't see it here, send it again.")
RECOVERED_LATE = "your dream (sent before the bot restarted) is ready."


def outside_channels(channel_ids) -> str:
    where = ", ".join(f"<#{c}>" for c in channel_ids)
    return f"Dreams are only made in {where} on this server."


def quota(used: int, limit: int | None, resets_at, cooldown_s: float) -> str:
    """`/dream-quota`: what is left today, when it resets, and any cooldown still running."""
    if limit is None:
        line = f"You dreamt {used} {plural(used, 'time')} today; this server sets no daily quota."
    else:
        line = (f"You used {used} of {limit} {plural(limit, 'dream')} today; {max(0, limit - used)} left. "
                f"The quota resets {discord.utils.format_dt(resets_at, 'R')}.")
    if cooldown_s > 0:
        next_dream = discord.utils.utcnow() + timedelta(seconds=max(1.0, cooldown_s))
        line += f" Cooldown: your next dream {discord.utils.format_dt(next_dream, 'R')}."
    return line


# -- errors, in the bot's voice (bot/errors.py `reply_for` asks here) ---------------------
BUSY = "The queue is full ({limit} {dreams} waiting). Try again in a few minutes."
USER_LIMIT = ("You already have {limit} {dreams} waiting or running. "
              "Wait for one to finish, or cancel one.")
COOLING_DOWN = "Slow down: this server allows one dream every so often; try again {when}."
DAILY_QUOTA_USED = ("You used this server's daily quota of {quota} {dreams}; "
                    "it resets {resets}.")
LAYER_NOT_ALLOWED = "Layer '{layer}' is not allowed on this server. Allowed layers: {allowed}."


def safe(text: str) -> str:
    """User text as Discord shows it literally: no markdown (masked links), no pings."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def error_text(error: BaseException) -> str:
    """One line for a known error: the bot's own words where it has them, else the engine's.
    What the user typed is cut short and shown literally (`safe`)."""
    match type(error).__name__:
        case "QueueFull":
            return BUSY.format(limit=error.limit, dreams=plural(error.limit, "dream"))
        case "UserLimit":
            return USER_LIMIT.format(limit=error.limit, dreams=plural(error.limit, "dream"))
        case "CoolingDown":
            when = discord.utils.utcnow() + timedelta(seconds=max(1.0, error.seconds_left))
            return COOLING_DOWN.format(when=discord.utils.format_dt(when, "R"))
        case "DailyQuotaUsed":
            return DAILY_QUOTA_USED.format(quota=error.quota, dreams=plural(error.quota, "dream"),
                                           resets=discord.utils.format_dt(error.resets_at, "R"))
        case "LayerNotAllowed":
            return LAYER_NOT_ALLOWED.format(layer=safe(short(error.layer)), allowed=", ".join(error.allowed))
    return explain(error, echo=safe)


def try_again_in(seconds: float) -> str:
    """A command's own cooldown, as a Discord timestamp."""
    return TRY_AGAIN.format(when=_when(max(1.0, seconds)))
