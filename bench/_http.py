"""A minimal keep-alive HTTP/1.1 client for load generation.

On a 2-core machine an HTTP library spends more CPU per request than the API server
does, so a load generator built on one measures itself. This one only formats request
bytes and reads ``Content-Length`` bodies over a pool of persistent connections.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class Pool:
    """``size`` persistent connections to ``api`` (``http://host:port``)."""

    def __init__(self, api: str, size: int) -> None:
        self.host, port = api.removeprefix("http://").split(":")
        self.port = int(port)
        self.size = size
        self._free: asyncio.Queue[Conn] = asyncio.Queue()

    async def __aenter__(self) -> Pool:
        for _ in range(self.size):
            self._free.put_nowait(await asyncio.open_connection(self.host, self.port))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        while not self._free.empty():
            self._free.get_nowait()[1].close()

    def build(self, method: str, path: str, headers: dict[str, str], body: Any = None) -> bytes:
        """The raw bytes of a request (build once, send many times)."""
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """Send a built request on a free connection; return (status, body)."""
        reader, writer = conn = await self._free.get()
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            return status, await reader.readexactly(length)
        finally:
            self._free.put_nowait(conn)
