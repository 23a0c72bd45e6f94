"""Unit tests of the simulator's wire encoding, command parsing, query stack and durations."""

from __future__ import annotations

import io

import librouteros.protocol
import pytest
import routeros_api.base_api

from ispcube.sim.routeros_state import (
    CommandTrap,
    format_clock_duration,
    format_duration,
    normalize_address_list_address,
    parse_duration,
)
from ispcube.sim.routeros_wire import (
    QueryError,
    SentenceReader,
    WireError,
    compile_query,
    decode_length,
    encode_length,
    encode_sentence,
    parse_command,
)

LENGTH_ENCODINGS = [
    (0, "00"),
    (0x7F, "7f"),
    (0x80, "8080"),
    (0x3FFF, "bfff"),
    (0x4000, "c04000"),
    (0x1FFFFF, "dfffff"),
    (0x200000, "e0200000"),
    (0xFFFFFFF, "efffffff"),
    (0x10000000, "f010000000"),
    (0xFFFFFFFF, "f0ffffffff"),
]


@pytest.mark.parametrize(("length", "encoded"), LENGTH_ENCODINGS)
def test_all_five_length_forms_encode_and_decode(length: int, encoded: str) -> None:
    assert encode_length(length).hex() == encoded
    stream = io.BytesIO(bytes.fromhex(encoded))
    assert decode_length(stream.read) == length


@pytest.mark.parametrize("length", [0, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000, 0xFFFFFFF])
def test_length_encoding_matches_both_client_libraries(length: int) -> None:
    assert encode_length(length) == librouteros.protocol.encode_length(length)
    assert encode_length(length) == routeros_api.base_api.encode_length(length)


def test_reserved_control_byte_is_rejected() -> None:
    with pytest.raises(WireError):
        decode_length(io.BytesIO(b"\xf8\x00\x00\x00\x00").read)


def test_sentence_reader_round_trips_arbitrary_bytes() -> None:
    words = ["/ip/firewall/address-list/add", "=comment=" + "x" * 20000, "=list=\u00e9t\u00e9", b"=raw=\xff\xfe"]
    reader = SentenceReader(io.BytesIO(encode_sentence(words) + encode_sentence(["!done"])))
    first = reader.read_sentence()
    assert first[:3] == words[:3]
    assert first[3].encode("utf-8", "surrogateescape") == b"=raw=\xff\xfe"
    assert reader.read_sentence() == ["!done"]


def test_parse_command_splits_word_kinds() -> None:
    command = parse_command([
        "/ppp/secret/print", "=.proplist=name,disabled", "?disabled=yes", "?#!", ".tag=42", "=detail", "stray",
    ])
    assert command.path == "/ppp/secret/print"
    assert command.proplist == ["name", "disabled"]
    assert command.queries == ["?disabled=yes", "?#!"]
    assert command.tag == "42"
    assert command.attributes == {"detail": ""}
    assert command.stray_words == ["stray"]


ROWS = [
    {".id": "*1", "list": "a", "address": "10.0.0.1", "disabled": "false"},
    {".id": "*2", "list": "b", "address": "10.0.0.2", "disabled": "true", "comment": "vip"},
    {".id": "*A", "list": "c", "address": "10.0.0.3", "disabled": "false"},
]


def ids(*query: str) -> list[str]:
    matches = compile_query(list(query))
    return [row[".id"] for row in ROWS if matches(row)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ((), ["*1", "*2", "*A"]),
        (("?list=a",), ["*1"]),
        (("?=list=b",), ["*2"]),
        (("?.id=*a",), ["*A"]),
        (("?disabled=yes",), ["*2"]),
        (("?comment",), ["*2"]),
        (("?-comment",), ["*1", "*A"]),
        (("?list=a", "?list=c", "?#|"), ["*1", "*A"]),
        (("?list=a", "?list=b", "?list=c", "?#||"), ["*1", "*2", "*A"]),
        (("?list=a", "?address=10.0.0.1", "?#&"), ["*1"]),
        (("?list=a", "?#!"), ["*2", "*A"]),
        (("?list=a", "?list=c", "?#|!"), ["*2"]),
        (("?list=a", "?disabled=false"), ["*1"]),  # several values left on the stack are ANDed
        (("?list=a", "?list=b", "?#0"), ["*2"]),  # a lone index keeps only that value (0 is the top)
        (("?list=a", "?list=b", "?#1"), ["*1"]),
        (("?list=b", "?#.|"), ["*2"]),
        (("?<address=10.0.0.2",), ["*1"]),
        (("?>list=a",), ["*2", "*A"]),
    ],
)
def test_query_stack_semantics(query: tuple[str, ...], expected: list[str]) -> None:
    assert ids(*query) == expected


@pytest.mark.parametrize("query", [("?#|",), ("?list=a", "?#&"), ("?list=a", "?#x")])
def test_malformed_queries_are_rejected(query: tuple[str, ...]) -> None:
    with pytest.raises(QueryError):
        compile_query(list(query))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h", 3600), ("30s", 30), ("00:05:00", 300), ("1d2h", 93600), ("5m", 300), ("1w", 604800),
     ("2w6d13:21:53", 1776113), ("90", 90), ("1m30s", 90), ("500ms", 0.5)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_format_durations() -> None:
    assert format_duration(0) == "0s"
    assert format_duration(3600) == "1h"
    assert format_duration(93784) == "1d2h3m4s"
    assert format_duration(59.2) == "1m"  # partial seconds round up, so a fresh 1h timeout prints 1h
    assert format_clock_duration(1776113) == "2w6d13:21:53"
    assert format_clock_duration(59) == "00:00:59"


@pytest.mark.parametrize(
    ("given", "stored"),
    [("10.0.0.1", "10.0.0.1"), ("10.0.0.1/32", "10.0.0.1"), ("10.0.0.9/24", "10.0.0.0/24"),
     ("10.0.0.1-10.0.0.9", "10.0.0.1-10.0.0.9"), ("example.com", "example.com")],
)
def test_address_list_addresses_are_stored_like_routeros(given: str, stored: str) -> None:
    assert normalize_address_list_address(given) == stored


@pytest.mark.parametrize("bad", ["300.1.1.1", "10.0.0.1/33", "", "a b"])
def test_bad_address_list_addresses_trap(bad: str) -> None:
    with pytest.raises(CommandTrap, match="invalid value for argument address"):
        normalize_address_list_address(bad)
