"""HTTP plumbing shared by the REST routes: JSON replies, Discord errors, uploads, faults, safety net.

Three rules keep discord.py from misreading the fake:
- JSON goes out as bytes with Content-Type exactly `application/json`; aiohttp's `text=` would add
  `; charset=utf-8`, and discord.py then treats the body as a plain string.
- The fake's own bugs and unknown routes answer 4xx, never 5xx: discord.py retries 5xx for ~25 s,
  which looks like a hang in a test.
- A 429 carries a `Via` header; without it discord.py assumes a Cloudflare ban and does not retry.
"""
from __future__ import annotations

import json
import logging
import traceback
from dataclasses import dataclass, field

from aiohttp import web

log = logging.getLogger(__name__)


class DiscordError(Exception):
    """Raised by a route to answer with a Discord-style JSON error."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def json_response(data: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json",
                        headers=headers)


def error_response(status: int, code: int, message: str, **extra: object) -> web.Response:
    return json_response({"code": code, "message": message, **extra}, status)


@dataclass
class Upload:
    """A request body: the JSON payload and any `files[n]` parts, keyed by n."""

    payload: dict
    files: dict[int, tuple[str, bytes, str | None]] = field(default_factory=dict)


async def read_upload(request: web.Request) -> Upload:
    """Parse a JSON body or multipart/form-data with `payload_json` + `files[n]` (discord.py's shape)."""
    if not request.content_type.startswith("multipart/"):
        return Upload(await request.json() if request.can_read_body else {})
    upload = Upload({})
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if part.name == "payload_json":
            upload.payload = json.loads(await part.text())
        elif part.name and part.name.startswith("files["):
            index = int(part.name[len("files["):-1])
            upload.files[index] = (part.filename or f"file{index}", bytes(await part.read()),
                                   part.headers.get("Content-Type"))
    return upload


@dataclass
class Fault:
    """One injected failure: answer `status` to requests whose "METHOD path" contains `match`."""

    match: str
    status: int
    times: int
    retry_after: float = 0.0
    code: int = 0
    #: The "METHOD path" of each request this fault answered.
    hits: list[str] = field(default_factory=list)
    #: Handle the request first, then answer `status` anyway: a response lost on its way
    #: back (the message exists; the client, told 5xx, retries).
    after: bool = False

    def response(self) -> web.Response:
        if self.status == 429:
            body = {"message": "You are being rate limited.", "retry_after": self.retry_after, "global": False,
                    "code": self.code}
            return json_response(body, 429, {"Retry-After": str(self.retry_after), "Via": "1.1 google",
                                             "X-RateLimit-Scope": "user"})
        return error_response(self.status, self.code, f"discordlocal injected HTTP {self.status}")


@dataclass
class Recorder:
    """What the middleware saw: every request, unknown routes, injected faults, the fake's own bugs."""

    requests: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)


def make_middleware(recorder: Recorder):
    """The middleware: faults first, then the handler, turning surprises into loud 4xx answers."""

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        line = f"{request.method} {request.path_qs}"
        recorder.requests.append(line)
        lost = None
        for fault in recorder.faults:
            if fault.times > 0 and fault.match in line:
                fault.times -= 1
                fault.hits.append(line)
                if fault.after:
                    lost = fault
                    break
                await request.read()  # drain the body so the connection stays usable
                return fault.response()
        try:
            response = await handler(request)
            return lost.response() if lost is not None and response.status < 300 else response
        except DiscordError as e:
            return error_response(e.status, e.code, e.message)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            recorder.unknown.append(line)
            log.warning("discordlocal: no route for %s", line)
            return error_response(404, 0, f"discordlocal has no route for {line}")
        except web.HTTPException:
            raise
        except Exception:
            recorder.errors.append(f"{line}\n{traceback.format_exc()}")
            log.exception("discordlocal: handler for %s failed", line)
            return error_response(400, 0, f"discordlocal failed handling {line}; see the log")

    return middleware


def make_auth_middleware(token: str | None):
    """With a token configured, requests carrying another bot token get Discord's 401."""

    @web.middleware
    async def auth(request: web.Request, handler) -> web.StreamResponse:
        header = request.headers.get("Authorization")
        if token is not None and header is not None and header != f"Bot {token}":
            return error_response(401, 0, "401: Unauthorized")
        return await handler(request)

    return auth
