"""A NAS on loopback that answers RFC 5176 Disconnect-Requests with pyrad: ACK, NAK or silence.

    with FakeNas(secret=b"nas-secret") as nas:
        nas.answer = "nak"
        ... point a router (host 127.0.0.1, coa_port=nas.port) at it ...
        nas.requests  # [{"User-Name": "ana", "Acct-Session-Id": "s1"}, ...]
"""

from __future__ import annotations

import io
import socket
import threading

from pyrad import packet
from pyrad.dictionary import Dictionary

from ispcube.adapters.radius import DICTIONARY


class FakeNas:
    def __init__(self, secret: bytes = b"nas-secret", answer: str = "ack"):
        self.secret = secret
        self.answer = answer            # ack | nak | silence
        self.requests: list[dict[str, str]] = []
        self._dict = Dictionary(io.StringIO(DICTIONARY))
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def __enter__(self) -> "FakeNas":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            request = packet.CoAPacket(packet=data, secret=self.secret, dict=self._dict)
            if request.code != packet.DisconnectRequest or not request.VerifyCoARequest():
                continue
            self.requests.append({name: request[name][0] for name in request.keys()})
            if self.answer == "silence":
                continue
            reply = request.CreateReply()
            reply.code = packet.DisconnectACK if self.answer == "ack" else packet.DisconnectNAK
            self._sock.sendto(reply.ReplyPacket(), peer)
