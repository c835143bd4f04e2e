"""The web client's HTTP edges: one-line errors, reading forms with a size cap, and the guards.

- `UserError`: what a person should read, as `{"error": ...}` with a status (`errors` middleware).
- `read_form`: multipart fields and files, each file capped while it streams in.
- `check_action`: POSTs must carry `X-Discordlocal: 1`, which a cross-site form can't set.
- `security_headers`: a Content-Security-Policy that lets the page load and connect only to
  its own origin, and no MIME sniffing.
"""
from __future__ import annotations

import json
import logging

from aiohttp import web

log = logging.getLogger(__name__)

#: The header every POST from the page carries (a cross-site form can't set it).
ACTION_HEADER = "X-Discordlocal"
#: Files one message may carry (Discord's own limit).
MAX_FILES = 10

#: (field name, (filename, bytes, content type)) - one uploaded file.
FormFile = tuple[str, tuple[str, bytes, str]]


class UserError(Exception):
    """A request the page should explain: one line for the person, and an HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_form(request: web.Request, max_upload: int) -> tuple[dict[str, str], list[FormFile]]:
    """Text fields and files of a multipart POST; each file capped at `max_upload` bytes."""
    check_action(request)
    if not request.content_type.startswith("multipart/"):
        raise UserError("expected multipart/form-data")
    form: dict[str, str] = {}
    files: list[FormFile] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if part.filename is None:
            form[part.name or ""] = (await part.read(decode=True)).decode("utf-8", "replace")
            continue
        if len(files) == MAX_FILES:
            raise UserError(f"At most {MAX_FILES} files per message.")
        data = bytearray()
        while chunk := await part.read_chunk(2**16):
            data += chunk
            if len(data) > max_upload:
                raise UserError(f"{part.filename} is larger than the {mb(max_upload)} upload limit.", 413)
        content_type = part.headers.get("Content-Type") or "application/octet-stream"
        files.append((part.name or "file", (part.filename or "file", bytes(data), content_type)))
    return form, files


async def read_json(request: web.Request) -> dict:
    check_action(request)
    try:
        body = await request.json()
    except ValueError:
        raise UserError("expected a JSON body") from None
    if not isinstance(body, dict):
        raise UserError("expected a JSON object")
    return body


def make_errors(max_upload: int):
    """The middleware turning `UserError` (and a body over aiohttp's cap) into one JSON line."""

    @web.middleware
    async def errors(request: web.Request, handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except UserError as exc:
            return json_response({"error": str(exc)}, exc.status)
        except web.HTTPRequestEntityTooLarge:
            return json_response({"error": f"That upload is larger than the {mb(max_upload)} limit."}, 413)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("web client: %s %s failed", request.method, request.path)
            return json_response({"error": "The playground failed to handle that; see its log."}, 500)

    return errors


@web.middleware
async def security_headers(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
        f"connect-src 'self' ws://{request.host}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def check_action(request: web.Request) -> None:
    if request.headers.get(ACTION_HEADER) != "1":
        raise UserError(f"missing the {ACTION_HEADER} header (requests come from the page only)", 403)


def as_int(value: object, what: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise UserError(f"{what} must be a number") from None


def json_object(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        raise UserError("options must be JSON") from None
    if not isinstance(value, dict):
        raise UserError("options must be a JSON object")
    return value


def json_response(data: object, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


def mb(size: int) -> str:
    return f"{size / 2**20:g} MB"


def why(exc: Exception) -> str:
    text = str(exc).removeprefix("discordlocal: ")
    if "no bot has identified" in text:
        return "The bot is not connected yet; wait until it shows as online."
    return text[:1].upper() + text[1:]

