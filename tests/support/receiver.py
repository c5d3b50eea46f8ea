"""A real local HTTP receiver for webhooks, run in a thread, that checks signatures with the
Standard Webhooks library, as an integrator's receiver would."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


class Receiver:
    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.secret = ""
        self.events: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.hosts: list[str] = []
        self.raw: list[tuple[bytes, dict[str, str]]] = []  # each delivery as it came, to replay
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.hosts.append(self.headers.get("host", ""))
                receiver.raw.append((body, dict(self.headers.items())))
                try:
                    event = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                except Exception:  # a wrong or missing secret counts as a bad signature
                    receiver.bad_signatures += 1
                else:
                    receiver.events.append(event)
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def close(self) -> None:
        self._server.shutdown()
