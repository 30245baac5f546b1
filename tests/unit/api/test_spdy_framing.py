"""SPDY/3.1 framing for kubectl's port-forward: frames, header blocks with the SPDY/3 dictionary, replies."""

from __future__ import annotations

import struct
import zlib

import pytest

from minik.api.streams import spdy


class Client:
    """What a SPDY client (spdystream) writes: its header blocks primed with the SPDY/3 dictionary."""

    def __init__(self) -> None:
        self.deflate = zlib.compressobj(zdict=spdy.DICTIONARY)
        self.inflate = zlib.decompressobj()

    def syn_stream(self, stream: int, headers: dict[str, str]) -> bytes:
        block = self.deflate.compress(spdy.encode_header_block(headers)) + self.deflate.flush(
            zlib.Z_SYNC_FLUSH
        )
        payload = struct.pack(">IIBB", stream, 0, 0, 0) + block
        return struct.pack(">HHI", 0x8000 | 3, spdy.SYN_STREAM, len(payload)) + payload

    def data(self, stream: int, data: bytes, *, fin: bool = False) -> bytes:
        return struct.pack(">II", stream, (spdy.FLAG_FIN << 24 if fin else 0) | len(data)) + data


def test_the_dictionary_is_spdy3s() -> None:
    assert len(spdy.DICTIONARY) == 1423
    assert spdy.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert spdy.DICTIONARY.endswith(b"charset=iso-8859-1,utf-,*,enq=0.")


def test_syn_streams_are_read_with_their_headers_across_one_compression_stream() -> None:
    c, p = Client(), spdy.Parser()
    error = {"streamtype": "error", "port": "8080", "requestid": "0"}
    data = {"streamtype": "data", "port": "8080", "requestid": "0"}
    frames = p.feed(c.syn_stream(1, error) + c.syn_stream(3, data))
    assert [(f.kind, f.stream, f.headers) for f in frames] == [
        (spdy.SYN_STREAM, 1, error),
        (spdy.SYN_STREAM, 3, data),
    ]


def test_frames_cut_anywhere_come_out_whole_and_in_order() -> None:
    c = Client()
    wire = c.syn_stream(1, {"port": "80"}) + c.data(1, b"GET / HTTP/1.0\r\n\r\n") + c.data(1, b"", fin=True)
    for cut in range(len(wire) + 1):
        p = spdy.Parser()
        frames = p.feed(wire[:cut]) + p.feed(wire[cut:])
        assert [(f.control, f.stream, f.payload if not f.control else b"", f.fin) for f in frames] == [
            (True, 1, b"", False),
            (False, 1, b"GET / HTTP/1.0\r\n\r\n", False),
            (False, 1, b"", True),
        ]


def test_another_spdy_version_is_a_protocol_error() -> None:
    with pytest.raises(spdy.ProtocolError, match="version 2"):
        spdy.Parser().feed(struct.pack(">HHI", 0x8000 | 2, spdy.PING, 4) + b"\x00\x00\x00\x01")


def test_a_header_block_that_is_not_zlib_is_a_protocol_error() -> None:
    payload = struct.pack(">IIBB", 1, 0, 0, 0) + b"garbage"
    with pytest.raises(spdy.ProtocolError, match="header block"):
        spdy.Parser().feed(struct.pack(">HHI", 0x8000 | 3, spdy.SYN_STREAM, len(payload)) + payload)


def test_the_servers_replies_are_readable_by_a_client_without_a_dictionary_check() -> None:
    w, c = spdy.Writer(), Client()
    for stream in (1, 3):
        frame = w.syn_reply(stream)
        first, length = struct.unpack(">II", frame[:8])
        assert first == (0x8000 | 3) << 16 | spdy.SYN_REPLY and length == len(frame) - 8
        assert struct.unpack(">I", frame[8:12]) == (stream,)
        assert spdy.decode_header_block(c.inflate.decompress(frame[12:])) == {}


def test_data_frames_carry_the_stream_and_fin() -> None:
    w = spdy.Writer()
    assert w.data(3, b"hi") == b"\x00\x00\x00\x03\x00\x00\x00\x02hi"
    assert w.data(3, b"", fin=True) == b"\x00\x00\x00\x03\x01\x00\x00\x00"


def test_a_ping_is_echoed_with_its_id() -> None:
    frame = spdy.Writer().ping(7)
    (parsed,) = spdy.Parser().feed(frame)
    assert parsed.kind == spdy.PING and parsed.payload == b"\x00\x00\x00\x07"
