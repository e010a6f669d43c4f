"""Local receivers for alerts: an HTTP server on loopback that keeps every JSON body it is sent (Slack's and
PagerDuty's formats, any JSON webhook)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """Keeps every JSON body POSTed to it and answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.bodies: list[dict] = []
        self.status = status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class MailReceiver:
    """An SMTP server on loopback (aiosmtpd, no TLS) that keeps every message: ``mails`` the contents, ``envelopes``
    (recipients, content) pairs."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        from gonogo.core.processes import free_port

        self.envelopes: list[tuple[list[str], str]] = []
        receiver = self

        class Mailbox:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                receiver.envelopes.append((list(envelope.rcpt_tos), envelope.content.decode()))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Mailbox(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def mails(self) -> list[str]:
        return [content for _, content in self.envelopes]

    def close(self) -> None:
        self.controller.stop()
