"""Pipelined writes to a MikroTik (S5): several tagged API commands in flight on one connection.

RouterOS answers each command with sentences carrying the command's ``.tag``, in any order, so
a writer need not wait for one answer before sending the next: with ``depth`` commands in
flight, N changes cost about N / depth round trips instead of N. Each command gets its own
answer: a ``!trap`` fails that command only, the others go on. The writer speaks on a
connection that is already logged in and idle (the driver's own), and leaves it idle again:
every answer is read before ``run`` returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import socket

DEFAULT_DEPTH = 16
TAG_PREFIX = "w"   # our tags ("w1", "w2"...): no other command is in flight meanwhile


@dataclass(frozen=True)
class Answer:
    """What the router said to one command: done (with ``=ret=``, the new row's id) or a trap."""
    trapped: bool = False
    message: str = ""
    ret: str | None = None


class LostConnection(ConnectionError):
    """The router closed the connection (``!fatal``) or it broke while commands were in flight."""


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return length.to_bytes(1, "big")
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length < 0x10000000:
        return (length | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + length.to_bytes(4, "big")


def encode_sentence(words: Sequence[str]) -> bytes:
    raw = [word.encode("utf-8") for word in words]
    return b"".join(encode_length(len(word)) + word for word in raw) + b"\x00"


class _Words:
    """Words read off a socket through a buffer of our own (recv returns what it has)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def _take(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(max(65536, count - len(self.buffer)))
            if not chunk:
                raise LostConnection("the router closed the connection")
            self.buffer += chunk
        taken = bytes(self.buffer[:count])
        del self.buffer[:count]
        return taken

    def _length(self) -> int:
        first = self._take(1)[0]
        if first < 0x80:
            return first
        if first < 0xC0:
            return int.from_bytes(bytes([first & 0x3F]) + self._take(1), "big")
        if first < 0xE0:
            return int.from_bytes(bytes([first & 0x1F]) + self._take(2), "big")
        if first < 0xF0:
            return int.from_bytes(bytes([first & 0x0F]) + self._take(3), "big")
        if first == 0xF0:
            return int.from_bytes(self._take(4), "big")
        raise LostConnection(f"the router sent a reserved control byte 0x{first:02X}")

    def sentence(self) -> list[str]:
        words = []
        while length := self._length():
            words.append(self._take(length).decode("utf-8", "replace"))
        return words


class PipelinedWriter:
    """Runs commands on a logged-in RouterOS API connection, DEPTH of them in flight at once."""

    def __init__(self, sock: socket.socket, depth: int = DEFAULT_DEPTH) -> None:
        if depth < 1:
            raise ValueError(f"a pipeline depth is at least 1, not {depth}")
        self.sock = sock
        self.depth = depth

    def run(self, commands: Sequence[Sequence[str]]) -> list[Answer]:
        """Each command's answer, in the order of COMMANDS (the router may answer in any order).

        Raises LostConnection (an OSError) when the connection breaks: the commands already
        sent may or may not have taken effect, as with any lost answer."""
        answers: dict[int, Answer] = {}
        traps: dict[int, str] = {}
        words = _Words(self.sock)
        sent = 0
        while len(answers) < len(commands):
            batch = []
            while sent < len(commands) and sent - len(answers) < self.depth:
                batch.append(encode_sentence([*commands[sent], f".tag={TAG_PREFIX}{sent}"]))
                sent += 1
            if batch:
                self.sock.sendall(b"".join(batch))
            self._read_one(words, answers, traps)
        return [answers[index] for index in range(len(commands))]

    @staticmethod
    def _read_one(words: _Words, answers: dict[int, Answer], traps: dict[int, str]) -> None:
        """Read one sentence and record what it says about its command."""
        sentence = words.sentence()
        if not sentence:
            return
        kind, fields = sentence[0], _fields(sentence[1:])
        if kind == "!fatal":
            raise LostConnection(f"the router ended the session ({' '.join(sentence[1:]) or 'no reason'})")
        tag = fields.get(".tag", "")
        if not tag.startswith(TAG_PREFIX) or not tag[len(TAG_PREFIX):].isdigit():
            raise LostConnection(f"the router answered a command it was not sent (tag '{tag}')")
        index = int(tag[len(TAG_PREFIX):])
        if kind == "!trap":
            traps[index] = fields.get("message", "")
        elif kind == "!done":
            trapped = index in traps
            answers[index] = Answer(trapped, traps.pop(index, ""), fields.get("ret"))


def _fields(words: Sequence[str]) -> dict[str, str]:
    """``=name=value`` and ``.tag=value`` words as a mapping (``!re`` rows are not kept)."""
    fields = {}
    for word in words:
        if word.startswith("="):
            name, _, value = word[1:].partition("=")
            fields[name] = value
        elif word.startswith(".tag="):
            fields[".tag"] = word[len(".tag="):]
    return fields
