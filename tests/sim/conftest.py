"""Fixtures for the RouterOS simulator tests: a started simulator and clients bound to it."""

from __future__ import annotations

from collections.abc import Iterator
import socket

import librouteros
import pytest
import routeros_api

from ispcube.sim.routeros import RouterOSSimulator
from ispcube.sim.routeros_wire import encode_sentence

USERNAME = "admin"
PASSWORD = "s3cret"
CLIENT_TIMEOUT = 5.0


@pytest.fixture
def router() -> Iterator[RouterOSSimulator]:
    simulator = RouterOSSimulator(username=USERNAME, password=PASSWORD, identity="test-router", frozen_clock=True)
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


def ros_api_pool(router: RouterOSSimulator, password: str = PASSWORD, **options) -> routeros_api.RouterOsApiPool:
    pool = routeros_api.RouterOsApiPool(
        router.host, username=USERNAME, password=password, port=router.port, plaintext_login=True, **options
    )
    pool.socket_timeout = CLIENT_TIMEOUT
    return pool


@pytest.fixture
def ros_api(router: RouterOSSimulator) -> Iterator[routeros_api.api.RouterOsApi]:
    """A logged-in ``routeros_api`` client."""
    pool = ros_api_pool(router)
    try:
        yield pool.get_api()
    finally:
        pool.disconnect()


def lib_connect(router: RouterOSSimulator, password: str = PASSWORD) -> librouteros.api.Api:
    return librouteros.connect(
        host=router.host, username=USERNAME, password=password, port=router.port, timeout=CLIENT_TIMEOUT
    )


@pytest.fixture
def lib_api(router: RouterOSSimulator) -> Iterator[librouteros.api.Api]:
    """A logged-in ``librouteros`` client."""
    api = lib_connect(router)
    try:
        yield api
    finally:
        api.close()


class RawClient:
    """A bare socket client that decodes the framing by hand, independently of the simulator's code."""

    def __init__(self, router: RouterOSSimulator) -> None:
        self.sock = socket.create_connection(router.address, timeout=CLIENT_TIMEOUT)
        self.length_prefixes: list[bytes] = []

    def send(self, *words: str | bytes) -> None:
        self.sock.sendall(encode_sentence(words))

    def _read_exact(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise EOFError("closed")
            data += chunk
        return data

    def read_word(self) -> bytes:
        first = self._read_exact(1)
        value = first[0]
        if value < 0x80:
            prefix, length = first, value
        elif value < 0xC0:
            prefix = first + self._read_exact(1)
            length = int.from_bytes(prefix, "big") & 0x3FFF
        elif value < 0xE0:
            prefix = first + self._read_exact(2)
            length = int.from_bytes(prefix, "big") & 0x1FFFFF
        elif value < 0xF0:
            prefix = first + self._read_exact(3)
            length = int.from_bytes(prefix, "big") & 0xFFFFFFF
        else:
            prefix = first + self._read_exact(4)
            length = int.from_bytes(prefix[1:], "big")
        if length:
            self.length_prefixes.append(prefix)
        return self._read_exact(length)

    def read_sentence(self) -> list[str]:
        words = []
        while word := self.read_word():
            words.append(word.decode("utf-8"))
        return words

    def read_reply(self) -> list[list[str]]:
        """Sentences up to and including ``!done`` (or a ``!fatal``)."""
        sentences = []
        while True:
            sentence = self.read_sentence()
            sentences.append(sentence)
            if sentence[0] in ("!done", "!fatal"):
                return sentences

    def call(self, *words: str | bytes) -> list[list[str]]:
        self.send(*words)
        return self.read_reply()

    def login(self, password: str = PASSWORD) -> list[list[str]]:
        return self.call("/login", f"=name={USERNAME}", f"=password={password}")

    def is_closed(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def raw(router: RouterOSSimulator) -> Iterator[RawClient]:
    client = RawClient(router)
    try:
        yield client
    finally:
        client.close()
