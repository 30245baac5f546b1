"""SPDY/3.1 framing, as much as a port-forward server needs (pure).

``kubectl port-forward`` (1.31+) speaks SPDY/3.1 inside a WebSocket
(subprotocol ``SPDY/3.1+portforward.k8s.io``): the binary messages, joined,
are one SPDY byte stream. :class:`Parser` turns that stream into frames;
the ``*_frame`` functions write the frames a server sends. Header blocks are
zlib streams, one per direction per connection, the client's primed with
SPDY/3's dictionary (:data:`DICTIONARY`, built here from the words and text
the SPDY/3 draft lists); the server's blocks are compressed without one,
which a SPDY reader accepts (the zlib header says no dictionary).

Frame layout (big-endian): control frames ``1 | version(15) | type(16) |
flags(8) | length(24)``, data frames ``0 | stream id(31) | flags(8) |
length(24)``, then ``length`` bytes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
CANCEL = 5  # RST_STREAM status
MAX_FRAME = 1 << 24  # the 24-bit length field
MAX_HEADER_BLOCK = 1 << 20

_WORDS = (
    "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
    "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
    "content-base", "content-encoding", "content-language", "content-length", "content-location",
    "content-md5", "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host",
    "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified",
    "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
    "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via",
    "warning", "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
    "public", "set-cookie", "keep-alive", "origin",
)  # fmt: skip
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request"
    "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented"
    "503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 "
    "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,"
    "application/xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age="
    "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = b"".join(len(w).to_bytes(4, "big") + w.encode() for w in _WORDS) + _TAIL.encode()

_HEAD = struct.Struct(">IB3s")


class ProtocolError(ValueError):
    """The peer sent something that is not SPDY/3."""


@dataclass(frozen=True)
class Frame:
    """One frame: ``control`` frames have a ``kind``; data frames a ``stream``."""

    control: bool
    kind: int  # control frame type (0 for data)
    flags: int
    stream: int  # data frames, SYN_STREAM, SYN_REPLY, RST_STREAM, WINDOW_UPDATE, HEADERS
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


class Parser:
    """Feed the connection's bytes in any chunking; get whole frames back."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        out: list[Frame] = []
        while len(self._buf) >= 8:
            first, flags, raw_len = _HEAD.unpack_from(self._buf)
            length = int.from_bytes(raw_len, "big")
            if len(self._buf) < 8 + length:
                break
            payload = bytes(self._buf[8 : 8 + length])
            del self._buf[: 8 + length]
            out.append(self._frame(first, flags, payload))
        return out

    def _frame(self, first: int, flags: int, payload: bytes) -> Frame:
        if not first & 0x80000000:
            return Frame(False, 0, flags, first & 0x7FFFFFFF, payload)
        version, kind = (first >> 16) & 0x7FFF, first & 0xFFFF
        if version != VERSION:
            raise ProtocolError(f"SPDY version {version} is not spoken (only {VERSION})")
        stream = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF if len(payload) >= 4 else 0
        headers: dict[str, str] = {}
        if kind == SYN_STREAM:
            headers = self._headers(payload[10:])
        elif kind in (SYN_REPLY, HEADERS):
            headers = self._headers(payload[4:])
        return Frame(True, kind, flags, stream, payload, headers)

    def _headers(self, block: bytes) -> dict[str, str]:
        try:
            raw = self._inflate.decompress(block, MAX_HEADER_BLOCK)
        except zlib.error as exc:
            raise ProtocolError(f"header block: {exc}") from None
        return decode_header_block(raw)


def decode_header_block(raw: bytes) -> dict[str, str]:
    """``count``, then length-prefixed names and values (several values joined by NUL: the first kept)."""
    try:
        (count,) = struct.unpack_from(">I", raw)
        pos, out = 4, {}
        for _ in range(count):
            (n,) = struct.unpack_from(">I", raw, pos)
            name = raw[pos + 4 : pos + 4 + n].decode()
            pos += 4 + n
            (n,) = struct.unpack_from(">I", raw, pos)
            value = raw[pos + 4 : pos + 4 + n].decode()
            pos += 4 + n
            out[name.lower()] = value.split("\x00", 1)[0]
    except (struct.error, UnicodeDecodeError) as exc:
        raise ProtocolError(f"header block: {exc}") from None
    return out


def encode_header_block(headers: dict[str, str]) -> bytes:
    parts = [struct.pack(">I", len(headers))]
    for name, value in headers.items():
        n, v = name.lower().encode(), value.encode()
        parts += [struct.pack(">I", len(n)), n, struct.pack(">I", len(v)), v]
    return b"".join(parts)


class Writer:
    """Writes the server's frames (its own header compression stream)."""

    def __init__(self) -> None:
        self._deflate = zlib.compressobj()

    def _control(self, kind: int, flags: int, payload: bytes) -> bytes:
        return _HEAD.pack(0x80000000 | VERSION << 16 | kind, flags, len(payload).to_bytes(3, "big")) + payload

    def syn_reply(self, stream: int, headers: dict[str, str] | None = None) -> bytes:
        block = self._deflate.compress(encode_header_block(headers or {})) + self._deflate.flush(
            zlib.Z_SYNC_FLUSH
        )
        return self._control(SYN_REPLY, 0, struct.pack(">I", stream) + block)

    def data(self, stream: int, data: bytes, *, fin: bool = False) -> bytes:
        out = []
        for start in range(0, max(len(data), 1), MAX_FRAME - 1):
            chunk = data[start : start + MAX_FRAME - 1]
            last = start + MAX_FRAME - 1 >= len(data)
            flags = FLAG_FIN if fin and last else 0
            out.append(_HEAD.pack(stream & 0x7FFFFFFF, flags, len(chunk).to_bytes(3, "big")) + chunk)
        return b"".join(out)

    def rst_stream(self, stream: int, status: int = CANCEL) -> bytes:
        return self._control(RST_STREAM, 0, struct.pack(">II", stream, status))

    def ping(self, ping_id: int) -> bytes:
        return self._control(PING, 0, struct.pack(">I", ping_id))

    def goaway(self, last_stream: int) -> bytes:
        return self._control(GOAWAY, 0, struct.pack(">II", last_stream, 0))
