"""Guide images on the bot's side: which image is the guide, fetching it, keeping it for a
restart, and the reply's line that says a guide was used.

Which image is the guide (the dream itself is `dreaming/guide.py`'s):

- `!dream` with two attachments: the first is the image to dream, the second its guide
  (what a member sees in the message, left to right).
- `!dream` with one attachment, replying to a message with an image: the replied-to image
  is the guide. Without an attachment of its own, the replied-to image stays what it
  always was, the image to dream; so the reply only guides when there is something else to
  dream, and an old `!dream` habit never changes meaning.
- `/dream guide:` takes it as an option.

The guide is downloaded with the same size caps and byte budget as the image, and decoded
once in the bot to check it, so a bad guide is refused in one line before it queues. Its
address is kept with the stored job, so a job resumed after a restart is guided too. The
buttons on a result (Reroll, Dream again, Tweak) dream with the same guide while the runner
remembers it (`DreamRunner.guides`: recent results of this run).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import discord

from dreaming.errors import BadImage

from bot.dream.fetch import ImageRef
from bot.i18n import t

#: the key a stored job keeps its guide's address under, beside its settings (`Store.add_job`)
_STORED_GUIDE = "guide"

#: the runner's `_fetch`: (ref, max_side, max_bytes, max_pixels) -> (bytes, (height, width))
Fetch = Callable[[ImageRef, int, int, int], Awaitable[tuple[bytes, tuple[int, int]]]]


def second_attachment(message: discord.Message, image: ImageRef | None) -> ImageRef | None:
    """The first of `message`'s attachments that is not `image` (the one to dream): any file,
    so that a text file sent as a guide is told it is not an image rather than ignored."""
    others = [ImageRef.of(a) for a in message.attachments if image is None or a.url != image.url]
    return others[0] if others and len(message.attachments) > 1 else None


async def fetch_guide(fetch: Fetch, guide: ImageRef, max_side: int, max_bytes: int, max_pixels: int) -> bytes:
    """The guide's bytes, downloaded and checked as the image is; a bad file is `BadImage`
    naming the guide, so the member knows which of their two files to fix."""
    try:
        data, _size = await fetch(guide, max_side, max_bytes, max_pixels)
    except BadImage as exc:
        raise BadImage(f"the guide ({exc.reason})") from None
    return data


def stored(guide: ImageRef | None) -> dict[str, object]:
    """What a stored job keeps of its guide beside its settings: where to fetch it again."""
    if guide is None:
        return {}
    return {_STORED_GUIDE: {"url": guide.url, "filename": guide.filename, "size": guide.size}}


def of_stored(settings: Mapping[str, object]) -> ImageRef | None:
    """A stored job's guide (`stored`); None for a job without one, or one stored before
    guides existed."""
    kept = settings.get(_STORED_GUIDE)
    if not isinstance(kept, Mapping) or not isinstance(kept.get("url"), str):
        return None
    return ImageRef(kept["url"], str(kept.get("filename", "guide")), int(kept.get("size", 0)))


def guided_line(guided: bool) -> str | None:
    """The result's line saying the dream was guided; None for a plain dream."""
    return t("guided") if guided else None
