"""The life cycle every simulated HTTP service shares (AFIP, Mercado Pago): a threading HTTP
server on loopback, started on a free port when asked for port 0, stopped and closed once."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import threading
from typing import Self


class HttpSimulator:
    """Subclasses set HANDLER (a request handler reading `self.simulator`) and NAME."""
    HANDLER: type[BaseHTTPRequestHandler]
    NAME = "http-sim"

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Self:
        handler = type(f"{type(self).__name__}Handler", (self.HANDLER,), {"simulator": self})
        self._server = ThreadingHTTPServer((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name=self.NAME, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
