from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

Handler = Callable[[str, dict[str, list[str]]], tuple[int, Any]]


class FakeHTTP:
    """A local HTTP server answering JSON from a handler(path, query) -> (status, body)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        outer = self

        class _H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                path = "/" + "/".join(p for p in parts.path.split("/") if p)
                query = parse_qs(parts.query)
                outer.requests.append((path, query))
                status, body = outer.handler(path, query)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def fake_http() -> Iterator[Callable[[Handler], FakeHTTP]]:
    servers: list[FakeHTTP] = []

    def start(handler: Handler) -> FakeHTTP:
        s = FakeHTTP(handler)
        s.thread.start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.server.shutdown()
        s.server.server_close()
