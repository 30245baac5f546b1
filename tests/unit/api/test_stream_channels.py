"""The streaming protocols' pure parts: subprotocols, frames, options, statuses, resize, ports."""

from __future__ import annotations

import json

import pytest

from minik.api.streams import channels
from minik.api.streams.channels import BadOptions, StreamOptions, stream_options


@pytest.mark.parametrize(
    ("client", "server", "chosen"),
    [
        pytest.param(["v5.channel.k8s.io", "v4.channel.k8s.io"], channels.EXEC_PROTOCOLS, "v5.channel.k8s.io",
                     id="kubectl and the Python client offer v5 first and get it"),
        pytest.param(["v4.channel.k8s.io"], channels.EXEC_PROTOCOLS, "v4.channel.k8s.io",
                     id="a v4-only client gets v4"),
        pytest.param(["base64.channel.k8s.io", "v4.channel.k8s.io"], channels.EXEC_PROTOCOLS, "v4.channel.k8s.io",
                     id="unknown protocols are skipped in the client's order"),
        pytest.param([], channels.EXEC_PROTOCOLS, "v5.channel.k8s.io", id="a client offering none gets the server's first"),
        pytest.param(["v5.channel.k8s.io", "v4.channel.k8s.io"], channels.PORTFORWARD_PROTOCOLS, "v4.channel.k8s.io",
                     id="port-forward speaks v4 only"),
        pytest.param(["SPDY/3.1+portforward.k8s.io"], channels.PORTFORWARD_PROTOCOLS, "SPDY/3.1+portforward.k8s.io",
                     id="kubectl's port-forward gets its SPDY tunnel"),
        pytest.param(["SPDY/3.1+portforward.k8s.io"], channels.EXEC_PROTOCOLS, None,
                     id="exec has no SPDY tunnel"),
    ],
)  # fmt: skip
def test_the_subprotocol_is_the_clients_first_one_the_server_speaks(
    client: list[str], server: tuple[str, ...], chosen: str | None
) -> None:
    assert channels.negotiate(client, server) == chosen


def test_the_protocol_header_is_split_in_the_clients_order() -> None:
    assert channels.offered("v5.channel.k8s.io, v4.channel.k8s.io") == [
        "v5.channel.k8s.io",
        "v4.channel.k8s.io",
    ]
    assert channels.offered(None) == []


def test_a_frame_is_one_channel_byte_and_its_payload() -> None:
    assert channels.encode(channels.STDOUT, b"hi") == b"\x01hi"
    assert channels.decode(b"\x00data") == (channels.STDIN, b"data")
    assert channels.decode(b"\xff\x00") == (channels.CLOSE, b"\x00")
    assert channels.decode(b"") is None


def q(**kw: str) -> list[tuple[str, str]]:
    return list(kw.items())


def test_exec_options_keep_every_command_word_in_order() -> None:
    query = [
        ("command", "sh"),
        ("command", "-c"),
        ("command", "exit 3"),
        ("stdout", "true"),
        ("container", "c"),
    ]
    assert stream_options(query, exec_=True) == StreamOptions(
        container="c", command=("sh", "-c", "exit 3"), stdin=False, stdout=True, stderr=False, tty=False
    )


@pytest.mark.parametrize("word", ["1", "t", "T", "true", "TRUE", "True"])
def test_flags_read_as_gos_parse_bool(word: str) -> None:
    assert stream_options([("command", "x"), ("stdin", word)], exec_=True).stdin


def test_a_flag_that_is_not_a_bool_is_a_bad_request() -> None:
    with pytest.raises(BadOptions, match=r'stdin: Invalid value: "yes"'):
        stream_options([("command", "x"), ("stdin", "yes")], exec_=True)


def test_exec_without_a_command_is_refused() -> None:
    with pytest.raises(BadOptions, match="at least one command"):
        stream_options(q(stdout="true"), exec_=True)


def test_attach_needs_no_command() -> None:
    assert stream_options(q(stdout="true"), exec_=False).command == ()


def test_no_stream_at_all_is_refused_as_the_kubelet_does() -> None:
    with pytest.raises(BadOptions, match="you must specify at least 1 of stdin, stdout, stderr"):
        stream_options([("command", "ls")], exec_=True)


def test_a_tty_merges_stderr_into_stdout() -> None:
    o = stream_options([("command", "sh"), ("stdout", "1"), ("stderr", "1"), ("tty", "1")], exec_=True)
    assert o.tty and o.stdout and not o.stderr


def test_success_is_the_kubelets_bare_status() -> None:
    assert json.loads(channels.success()) == {"metadata": {}, "status": "Success"}


def test_a_non_zero_exit_carries_the_code_as_the_exit_code_cause() -> None:
    status = json.loads(channels.exit_code_status(["sh", "-c", "exit 3"], 3))
    assert status == {
        "metadata": {},
        "status": "Failure",
        "message": "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
    }


def test_a_refused_stream_is_an_internal_error_naming_the_cause() -> None:
    status = json.loads(channels.internal_error('unable to upgrade connection: container not found ("c")'))
    assert status["code"] == 500 and status["reason"] == "InternalError"
    assert (
        status["message"]
        == 'Internal error occurred: unable to upgrade connection: container not found ("c")'
    )
    assert status["details"]["causes"] == [
        {"message": 'unable to upgrade connection: container not found ("c")'}
    ]


@pytest.mark.parametrize(
    ("payload", "size"),
    [
        (b'{"Width":80,"Height":24}', (80, 24)),
        (b'{"width":100,"height":30}', (100, 30)),
        (b"not json", None),
        (b'{"Width":-1,"Height":3}', None),
        (b"[1,2]", None),
    ],
)
def test_a_resize_message_is_read_as_gos_decoder_reads_it(
    payload: bytes, size: tuple[int, int] | None
) -> None:
    assert channels.parse_resize(payload) == size


def test_ports_may_repeat_or_be_comma_separated() -> None:
    assert channels.parse_ports([("ports", "8080,9090"), ("ports", "53")]) == [8080, 9090, 53]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http", 'unable to parse "http" as a port'),
        ("70000", "value out of range"),
        ("0", 'port "0" must be > 0'),
        ("80,", 'query parameter "port" cannot be empty'),
    ],
)
def test_a_bad_port_is_refused_with_the_kubelets_words(value: str, message: str) -> None:
    with pytest.raises(BadOptions, match=message):
        channels.parse_ports([("ports", value)])


def test_a_port_forward_without_ports_is_refused() -> None:
    with pytest.raises(BadOptions, match='query parameter "port" is required'):
        channels.parse_ports([])


def test_each_port_channel_starts_with_the_port_little_endian() -> None:
    assert channels.port_prefix(8080) == b"\x90\x1f"
