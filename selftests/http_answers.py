"""A real HTTP/1.1 server with the answers an HTTP client must handle, for proving the load suite's client.

    python selftests/http_answers.py [--tls CERT_PEM KEY_PEM]    # prints "port N" once listening

Each kept-alive connection has its own number (``/echo`` says it: reuse is visible) and is closed after
KEEP_ALIVE_S idle, as a server's keep-alive timeout does. Paths: /echo (the request as JSON), /gzip, /chunked,
/until-close (no length: the body ends with the connection), /set-cookie, /redirect (302), /see-other (303),
/status/N, /slow (3 s), /early-hints (a 103 before the 200), /close-after (closes without saying so), /drop-next (the
next request on that connection is read and the connection closed, unanswered).
"""

from __future__ import annotations

import gzip
import itertools
import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEEP_ALIVE_S = 0.3
_connections = itertools.count(1)


class Answers(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = KEEP_ALIVE_S  # an idle connection's read times out and the server closes it

    def setup(self) -> None:
        super().setup()
        self.number = next(_connections)
        self.drop_next = False

    def do_GET(self) -> None:
        self.answer()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def answer(self) -> None:
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.drop_next:  # the race no check can see: closed as the request arrives, nothing answered
            self.close_connection = True
            return
        self.drop_next = path == "/drop-next"
        if path.startswith("/status/"):
            return self.send(int(path.rsplit("/", 1)[1]), b'{"status": "as asked"}')
        if path == "/slow":
            time.sleep(3)
        if path == "/early-hints":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
        special = {
            "/gzip": lambda: self.send(200, gzip.compress(b'{"zipped": true}'), [("Content-Encoding", "gzip")]),
            "/chunked": self.chunked,
            "/until-close": self.until_close,
            "/set-cookie": lambda: self.send(200, b"{}", [("Set-Cookie", "sticky=abc; Path=/")]),
            "/redirect": lambda: self.send(302, b"", [("Location", "/echo")]),
            "/see-other": lambda: self.send(303, b"", [("Location", "/echo?from=see-other")]),
        }
        if path in special:
            return special[path]()
        echo = {
            "method": self.command,
            "path": path,
            "query": query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("latin-1"),
            "connection": self.number,
        }
        self.send(200, json.dumps(echo).encode())
        if path == "/close-after":
            self.close_connection = True  # without "Connection: close": the client learns it on its next request

    def send(self, status: int, body: bytes, headers=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def chunked(self) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n")

    def until_close(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"all of it, then the connection closes")
        self.close_connection = True

    def log_message(self, *args) -> None:
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
