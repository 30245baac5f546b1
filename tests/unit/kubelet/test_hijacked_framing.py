"""Docker's multiplexed exec/attach output, split back into stdout and stderr."""

from __future__ import annotations

from minik.kubelet.runtime.docker.hijacked import STDERR, STDOUT, Demuxer, frame


def test_frames_are_split_into_stdout_and_stderr_pieces() -> None:
    d = Demuxer()
    assert d.feed(frame(STDOUT, b"out") + frame(STDERR, b"err")) == [(STDOUT, b"out"), (STDERR, b"err")]


def test_a_frame_cut_anywhere_is_kept_until_it_is_whole() -> None:
    data = frame(STDOUT, b"hello world") + frame(STDERR, b"!")
    for cut in range(len(data) + 1):
        d = Demuxer()
        got = d.feed(data[:cut]) + d.feed(data[cut:])
        assert got == [(STDOUT, b"hello world"), (STDERR, b"!")], cut
        assert d.pending == 0


def test_a_frame_fed_byte_by_byte_comes_out_once() -> None:
    d = Demuxer()
    pieces = [p for byte in frame(STDOUT, b"abc") for p in d.feed(bytes((byte,)))]
    assert pieces == [(STDOUT, b"abc")]


def test_empty_frames_are_dropped_and_stdin_echo_counts_as_stdout() -> None:
    assert Demuxer().feed(frame(STDOUT, b"") + frame(0, b"x")) == [(STDOUT, b"x")]
