"""A NAS on loopback that answers RFC 5176 Disconnect- and CoA-Requests with pyrad: ACK, NAK,
a NAK saying it has no such session (`gone`: Error-Cause 503), or silence.

    with FakeNas(secret=b"nas-secret") as nas:
        nas.answer = "nak"
        ... point a router (host 127.0.0.1, coa_port=nas.port) at it ...
        nas.requests      # Disconnects: [{"User-Name": "ana", "Acct-Session-Id": "s1"}, ...]
        nas.coa_requests  # CoAs: [{"User-Name": "ana", ..., "Mikrotik-Rate-Limit": "1M/1M"}, ...]

A second NAS takes another loopback address (`FakeNas(host="127.0.0.2")`), so radacct can tell
the two apart by NAS-IP-Address as it does real ones.
"""

from __future__ import annotations

import io
import socket
import threading

from pyrad import packet
from pyrad.dictionary import Dictionary

from ispcube.adapters.radius import DICTIONARY

SESSION_NOT_FOUND = 503        # RFC 5176 Error-Cause: Session Context Not Found
# request code -> (NAK, ACK)
ANSWERS = {packet.DisconnectRequest: (packet.DisconnectNAK, packet.DisconnectACK),
           packet.CoARequest: (packet.CoANAK, packet.CoAACK)}


class FakeNas:
    def __init__(self, secret: bytes = b"nas-secret", answer: str = "ack", host: str = "127.0.0.1"):
        self.secret = secret
        self.host = host
        self.answer = answer            # ack | nak | gone | silence
        self.requests: list[dict[str, str]] = []
        self.coa_requests: list[dict[str, str]] = []
        self._dict = Dictionary(io.StringIO(DICTIONARY))
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, 0))
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
            if request.code not in ANSWERS or not request.VerifyCoARequest():
                continue
            attributes = {name: request[name][0] for name in request.keys()}
            (self.requests if request.code == packet.DisconnectRequest else self.coa_requests).append(attributes)
            if self.answer == "silence":
                continue
            reply = request.CreateReply()
            reply.code = ANSWERS[request.code][self.answer == "ack"]
            if self.answer == "gone":
                reply["Error-Cause"] = SESSION_NOT_FOUND
            self._sock.sendto(reply.ReplyPacket(), peer)
