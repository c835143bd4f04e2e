"""A CDN that serves oversized attachments slowly enough to be refused midway, and counts
what it sent; plus the switch that makes the fake Discord point attachments at it.

Real Discord serves attachments from another host (cdn.discordapp.com) and reports their
size in the message; a hostile or broken upload can carry a size that lies. `HostileCDN`
streams a PNG header and then zeros in 64 KiB chunks, with an honest Content-Length or
none at all, and records how many bytes it managed to write before the bot hung up.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web

from discordlocal import payloads

log = logging.getLogger(__name__)

CHUNK = 1 << 16
PNG_START = b"\x89PNG\r\n\x1a\n"


@dataclass
class Body:
    total: int  #: bytes the body would have in full
    content_length: bool  #: send an honest Content-Length header (else chunked, no length)
    served: int = 0  #: bytes written to the socket so far
    finished: bool = False  #: the handler is done (whole body sent, or the client hung up)


class HostileCDN:
    """`async with HostileCDN() as cdn:`; `url = cdn.add("big.png", 64 << 20)`; read `cdn.bodies`."""

    def __init__(self) -> None:
        self.bodies: dict[str, Body] = {}
        self._runner: web.AppRunner | None = None
        self.root = ""

    async def __aenter__(self) -> HostileCDN:
        app = web.Application()
        app.add_routes([web.get("/{name}", self._serve)])
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.root = "http://127.0.0.1:%d" % self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._runner.cleanup()

    def add(self, name: str, total: int, *, content_length: bool) -> str:
        self.bodies[name] = Body(total, content_length)
        return f"{self.root}/{name}"

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        body = self.bodies[request.match_info["name"]]
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        if body.content_length:
            response.content_length = body.total
        try:
            await response.prepare(request)
            while body.served < body.total:
                piece = PNG_START if body.served == 0 else b"\x00" * min(CHUNK, body.total - body.served)
                await response.write(piece)
                body.served += len(piece)
                await asyncio.sleep(0)  # let the client's reads interleave, as over a network
            await response.write_eof()
        except (ConnectionError, asyncio.CancelledError):
            log.info("client hung up after %d of %d bytes", body.served, body.total)
        finally:
            body.finished = True
        return response


def lie_about(monkeypatch, filename: str, *, url: str, size: int) -> None:
    """Make the fake Discord describe attachments named `filename` with another URL and size."""
    real = payloads.attachment

    def attachment(state, channel_id, f):
        data = real(state, channel_id, f)
        if f.filename == filename:
            data.update(url=url, proxy_url=url, size=size)
        return data

    monkeypatch.setattr(payloads, "attachment", attachment)
