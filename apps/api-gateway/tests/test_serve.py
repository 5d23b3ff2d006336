"""The API processes' listening sockets (``paperdesk_api.serve``)."""

from __future__ import annotations

import socket

import pytest

from paperdesk_api.serve import listen_sockets


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_one_socket_per_process_on_one_port_sharing_connections() -> None:
    port = _free_port()
    socks = listen_sockets("127.0.0.1", port, 2)
    try:
        assert [s.getsockname()[1] for s in socks] == [port, port]
        assert all(s.get_inheritable() for s in socks)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
        for s in socks:
            s.setblocking(False)
        accepted = [0, 0]
        for i, s in enumerate(socks):
            while True:
                try:
                    conn, _ = s.accept()
                except BlockingIOError:
                    break
                conn.close()
                accepted[i] += 1
        for c in clients:
            c.close()
        # The kernel spreads connections by address hash: both get some (64 connections
        # all landing on one socket has odds of 2 ** -63).
        assert sum(accepted) == 64
        assert min(accepted) > 0
    finally:
        for s in socks:
            s.close()


def test_a_port_in_use_is_refused_even_by_a_reuseport_group() -> None:
    port = _free_port()
    earlier = listen_sockets("127.0.0.1", port, 2)  # a stack still running
    try:
        with pytest.raises(OSError):
            listen_sockets("127.0.0.1", port, 2)
    finally:
        for s in earlier:
            s.close()
    with socket.socket() as plain:
        plain.bind(("127.0.0.1", port))
        plain.listen()
        with pytest.raises(OSError):
            listen_sockets("127.0.0.1", port, 1)
