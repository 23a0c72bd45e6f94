"""RouterOS API wire format: word lengths, words, sentences, commands and query words.

A word is a length prefix followed by that many bytes; a sentence is a run of
words closed by an empty word.  Text is carried as UTF-8 with surrogate escapes
so that any byte string a client sends comes back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

# Real routers cap words far lower; the cap only protects the simulator's memory.
MAX_WORD_BYTES = 64 * 1024 * 1024

_BOOLEAN_SPELLINGS = {"yes": "true", "true": "true", "no": "false", "false": "false"}


class WireError(Exception):
    """The byte stream does not follow the RouterOS API framing."""


class StreamClosed(EOFError):
    """The peer closed the connection (possibly in the middle of a word)."""


def encode_length(length: int) -> bytes:
    """Encode a word length in the 1 to 5 byte RouterOS form."""
    if length < 0:
        raise ValueError(f"negative word length {length}")
    if length < 0x80:
        return length.to_bytes(1, "big")
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length < 0x10000000:
        return (length | 0xE0000000).to_bytes(4, "big")
    if length < 0x100000000:
        return b"\xf0" + length.to_bytes(4, "big")
    raise ValueError(f"word length {length} does not fit the protocol")


def decode_length(read: Callable[[int], bytes]) -> int:
    """Read and decode one word length using ``read(n)`` (which returns exactly n bytes)."""
    first = read(1)[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        return int.from_bytes(bytes([first & 0x3F]) + read(1), "big")
    if first < 0xE0:
        return int.from_bytes(bytes([first & 0x1F]) + read(2), "big")
    if first < 0xF0:
        return int.from_bytes(bytes([first & 0x0F]) + read(3), "big")
    if first == 0xF0:
        return int.from_bytes(read(4), "big")
    raise WireError(f"reserved control byte 0x{first:02X}")


def to_bytes(word: str | bytes) -> bytes:
    return word if isinstance(word, bytes) else word.encode("utf-8", "surrogateescape")


def to_text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def encode_word(word: str | bytes) -> bytes:
    raw = to_bytes(word)
    return encode_length(len(raw)) + raw


def encode_sentence(words: Iterable[str | bytes]) -> bytes:
    return b"".join(encode_word(word) for word in words) + b"\x00"


class SentenceReader:
    """Reads sentences from a buffered binary stream (e.g. ``socket.makefile('rb')``)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def _read_exact(self, count: int) -> bytes:
        data = self._stream.read(count)
        if data is None or len(data) != count:
            raise StreamClosed("connection closed by peer")
        return data

    def read_word(self) -> bytes:
        length = decode_length(self._read_exact)
        if length > MAX_WORD_BYTES:
            raise WireError(f"word of {length} bytes is too long")
        return self._read_exact(length) if length else b""

    def read_sentence(self) -> list[str]:
        words: list[str] = []
        while word := self.read_word():
            words.append(to_text(word))
        return words


@dataclass
class Command:
    """One parsed command sentence."""

    path: str
    attributes: dict[str, str] = field(default_factory=dict)
    tag: str | None = None
    proplist: list[str] | None = None
    queries: list[str] = field(default_factory=list)
    stray_words: list[str] = field(default_factory=list)


def parse_command(words: list[str]) -> Command:
    """Split a sentence into path, ``=name=value`` attributes, ``.tag``, ``.proplist`` and ``?`` queries."""
    command = Command(path=words[0])
    for word in words[1:]:
        if word.startswith("="):
            name, _, value = word[1:].partition("=")
            command.attributes[name] = value
        elif word.startswith("?"):
            command.queries.append(word)
        elif word.startswith(".tag="):
            command.tag = word[len(".tag="):]
        elif word.startswith(".proplist="):
            command.attributes[".proplist"] = word[len(".proplist="):]
        else:
            command.stray_words.append(word)
    if ".proplist" in command.attributes:
        wanted = command.attributes.pop(".proplist")
        command.proplist = [name for name in wanted.split(",") if name]
    return command


class QueryError(ValueError):
    """A query word or ``?#`` operation string could not be evaluated."""


Row = Mapping[str, str]
Predicate = Callable[[Row], bool]


def _same_value(actual: str | None, wanted: str, name: str) -> bool:
    actual = "" if actual is None else actual
    if name == ".id":
        return actual.upper() == wanted.upper()
    if actual in _BOOLEAN_SPELLINGS and wanted in _BOOLEAN_SPELLINGS:
        return _BOOLEAN_SPELLINGS[actual] == _BOOLEAN_SPELLINGS[wanted]
    return actual == wanted


def _ordered(actual: str | None, wanted: str, less: bool) -> bool:
    if actual is None:
        return False
    try:
        left, right = int(actual), int(wanted)
    except ValueError:
        left, right = actual, wanted  # type: ignore[assignment]
    return left < right if less else left > right


def _comparison(word: str) -> Predicate:
    body = word[1:]
    if body.startswith("-"):
        name = body[1:]
        return lambda row: name not in row
    if body[:1] in ("<", ">", "="):
        operator, body = body[0], body[1:]
        name, equals, value = body.partition("=")
        if not equals:
            raise QueryError(f"query word {word!r} lacks a value")
    else:
        name, equals, value = body.partition("=")
        if not equals:
            return lambda row: name in row
        operator = "="
    if not name:
        raise QueryError(f"query word {word!r} lacks a property name")
    if operator == "=":
        return lambda row: _same_value(row.get(name), value, name)
    less = operator == "<"
    return lambda row: _ordered(row.get(name), value, less)


def _apply_operations(operations: str, stack: list[bool]) -> None:
    """Run one ``?#`` operation string on the stack (index 0 is the top value)."""

    def need(count: int) -> None:
        if len(stack) < count:
            raise QueryError(f"query operation {operations!r} needs {count} value(s) on the stack")

    position = 0
    after_index = False
    while position < len(operations):
        char = operations[position]
        if char.isdigit():
            end = position
            while end < len(operations) and operations[end].isdigit():
                end += 1
            index = int(operations[position:end])
            need(index + 1)
            picked = stack[-1 - index]
            if end == len(operations):
                stack[:] = [picked]
            else:
                stack.append(picked)
            position, after_index = end, True
            continue
        if char == "!":
            need(1)
            stack[-1] = not stack[-1]
        elif char in "&|":
            need(2)
            right, left = stack.pop(), stack.pop()
            stack.append((left and right) if char == "&" else (left or right))
        elif char == ".":
            if not after_index:
                need(1)
                stack.append(stack[-1])
        else:
            raise QueryError(f"unknown query operation {char!r}")
        position, after_index = position + 1, False


def compile_query(words: list[str]) -> Predicate:
    """Turn query words into a row predicate (no words: everything matches)."""
    steps: list[Predicate | str] = []
    for word in words:
        steps.append(word[2:] if word.startswith("?#") else _comparison(word))

    def matches(row: Row) -> bool:
        stack: list[bool] = []
        for step in steps:
            if isinstance(step, str):
                _apply_operations(step, stack)
            else:
                stack.append(step(row))
        return all(stack)

    # Evaluate once on an empty row so malformed operation strings fail before any output.
    matches({})
    return matches
