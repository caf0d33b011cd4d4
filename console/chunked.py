"""Request bodies sent with ``Transfer-Encoding: chunked`` (no Content-Length).

Vendors' HTTP clients often stream a file's body chunked. Django reads a body only as far as
its Content-Length (none: an empty body, so the API answered 400 "attach exactly one file").
This WSGI wrapper reads a chunked body first into a temporary file, at most ``max_bytes`` of
it (413 when over, with the caller's answer), and hands the application the same request with
the body's Content-Length. Behind nginx (``deploy/nginx``) the body arrives with a
Content-Length already (``proxy_request_buffering on``); this serves ``make run`` (runserver)
and a bare gunicorn.

Where the body comes from: a server that decodes chunked bodies itself says so with
``wsgi.input_terminated`` (gunicorn) and its input is read to its end; otherwise (runserver,
wsgiref) the input holds the chunked framing, decoded here. runserver hides its socket behind a
``LimitedStream`` of Content-Length bytes (0 here); its public ``limit`` is opened for the
decoding and set back to exactly what was read, so nothing after the body is touched.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable

from django.core.handlers.wsgi import LimitedStream

BLOCK = 64 * 1024
MAX_LINE = 4096  # a chunk-size line or a trailer line longer than this is refused
# An over-long body is read on (and dropped) this far, so that the client, still sending,
# reads the 413 instead of a connection reset.
DRAIN_BYTES = 4 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class BadChunks(Exception):
    """The chunked framing is broken, or the body broke off."""


def is_chunked(environ: dict) -> bool:
    codings = environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in [c.strip() for c in codings.split(",")] and not environ.get(
        "CONTENT_LENGTH"
    )


def decode(read: Callable, readline: Callable, sink, max_bytes: int, drain: int = 0) -> int:
    """Decode a chunked body from ``read``/``readline`` into ``sink``; returns its size.
    BodyTooLarge for a body over ``max_bytes``, once up to ``drain`` bytes more were read on
    (and dropped) or the body ended."""
    total = 0
    while True:
        line = readline(MAX_LINE + 1)
        if not line.endswith(b"\n"):
            raise BadChunks
        size_text = line.split(b";", 1)[0].strip()
        if not size_text or size_text.strip(b"0123456789abcdefABCDEF"):
            raise BadChunks
        size = int(size_text, 16)
        if size == 0:
            break
        total += size
        if total > max_bytes + drain:
            raise BodyTooLarge
        keep = sink if total <= max_bytes else None
        while size:
            data = read(min(size, BLOCK))
            if not data:
                raise BodyTooLarge if total > max_bytes else BadChunks
            if keep is not None:
                keep.write(data)
            size -= len(data)
        if readline(MAX_LINE + 1) not in (b"\r\n", b"\n"):
            raise BadChunks
    while True:  # trailer fields, then the empty line
        line = readline(MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):
            break
        if not line.endswith(b"\n"):
            raise BadChunks
    if total > max_bytes:
        raise BodyTooLarge
    return total


class _Counted:
    """``read``/``readline`` of a stream, counting the bytes taken from it."""

    def __init__(self, stream):
        self.stream, self.taken = stream, 0

    def read(self, size: int) -> bytes:
        data = self.stream.read(size)
        self.taken += len(data)
        return data

    def readline(self, size: int) -> bytes:
        line = self.stream.readline(size)
        self.taken += len(line)
        return line


def _read_to_end(stream, sink, max_bytes: int, drain: int) -> int:
    total = 0
    while data := stream.read(BLOCK):
        total += len(data)
        if total > max_bytes + drain:
            raise BodyTooLarge
        if total <= max_bytes:
            sink.write(data)
    if total > max_bytes:
        raise BodyTooLarge
    return total


def _read_body(environ: dict, sink, max_bytes: int) -> int:
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        return _read_to_end(stream, sink, max_bytes, DRAIN_BYTES)
    limited = isinstance(stream, LimitedStream)
    if limited:
        stream.limit = 1 << 62
    counted = _Counted(stream)
    try:
        return decode(counted.read, counted.readline, sink, max_bytes, DRAIN_BYTES)
    finally:
        if limited:
            stream.limit = counted.taken  # the body ends here; nothing after it is read


class _Closing:
    """The application's answer; closing it also removes the spooled body."""

    def __init__(self, answer: Iterable[bytes], spool):
        self.answer, self.spool = answer, spool

    def __iter__(self):
        return iter(self.answer)

    def close(self) -> None:
        try:
            close = getattr(self.answer, "close", None)
            if close is not None:
                close()
        finally:
            self.spool.close()


def accept_chunked(
    app: Callable,
    *,
    max_bytes: Callable[[], int],
    too_large: Callable[[], tuple[str, list, bytes]],
    unreadable: Callable[[], tuple[str, list, bytes]],
    spool_dir: Callable[[], str | None] = lambda: None,
    spool_memory: int = 2 * 1024 * 1024,
) -> Callable:
    """``app`` taking chunked request bodies. ``too_large()``/``unreadable()`` give the answer
    (status line, headers, body) for a body over ``max_bytes()`` or broken off."""

    def refuse(answer: tuple[str, list, bytes], start_response) -> list[bytes]:
        status, headers, body = answer
        # No Connection header (hop-by-hop: the server's to set, WSGI refuses it from the app).
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def wrapped(environ: dict, start_response):
        if not is_chunked(environ):
            return app(environ, start_response)
        spool = tempfile.SpooledTemporaryFile(max_size=spool_memory, dir=spool_dir())  # noqa: SIM115 (closed with the answer)
        try:
            size = _read_body(environ, spool, max_bytes())
        except BodyTooLarge:
            spool.close()
            return refuse(too_large(), start_response)
        except (BadChunks, OSError, ValueError):
            spool.close()
            return refuse(unreadable(), start_response)
        spool.seek(0)
        environ = {**environ, "CONTENT_LENGTH": str(size), "wsgi.input": spool}
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        return _Closing(app(environ, start_response), spool)

    return wrapped
