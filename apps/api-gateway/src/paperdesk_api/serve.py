"""One API process (uvicorn) on a listening socket that ``paperdesk up`` opened for it.

Each API process (``PAPERDESK_API_WORKERS``) gets its own socket, all bound to the same
port with ``SO_REUSEPORT``, and the kernel spreads new connections over them by their
addresses. Under uvicorn's ``--workers`` the processes shared one socket and whichever
woke first took the connection: in the orders bench one process served 62-75% of the
16 keep-alive connections and was the bottleneck while the other had CPU to spare.
"""

from __future__ import annotations

import argparse
import socket

import uvicorn

APP = "paperdesk_api.app:app"
BACKLOG = 2048  # uvicorn's default


def listen_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening sockets on ``host:port``, one per API process.

    Raises:
        OSError: the port is in use, by anything (an earlier ``paperdesk up`` that is
            still running included: its sockets would otherwise share connections
            with this one's).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # A plain bind first: it fails on any listener, a SO_REUSEPORT group included.
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    out: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            out.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if count > 1:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(BACKLOG)
            sock.set_inheritable(True)
    except OSError:
        for sock in out:
            sock.close()
        raise
    return out


def main(argv: list[str] | None = None) -> None:
    """``python -m paperdesk_api.serve --fd N``: serve the API on inherited socket N."""
    parser = argparse.ArgumentParser(prog="paperdesk_api.serve", description=__doc__)
    parser.add_argument("--fd", type=int, required=True, help="an inherited listening socket")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)  # family and type read from the socket
    config = uvicorn.Config(APP, access_log=False, log_level=args.log_level)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
